"""The SavedModel's module: the parameters as named variables and a pure serving function.

Keras's `model.export()` saves the Dropout RNG state as well. Here the module holds one
`tf.Variable` per parameter, named exactly as in training (`conv1/kernel:0`), and nothing
training-only. As in Keras's export archive, the loaded SavedModel offers `variables`,
`trainable_variables` and `non_trainable_variables`; the checkpoint keys follow the first list
(`variables/<i>/.ATTRIBUTES/VARIABLE_VALUE`), and names.json and netspec.json record which key
holds which parameter. `serving_default` takes the spec's input (dynamic batch) and returns
`logits` and `probabilities`.
"""

from pathlib import Path

import tensorflow as tf

from netspec.errors import os_error_in
from netspec.export.metadata import ArtifactInfo
from netspec.export.params import InferenceFunction

CHECKPOINT_KEY = "variables/{}/.ATTRIBUTES/VARIABLE_VALUE"


class ServingModule(tf.__internal__.tracking.AutoTrackable):
    def __init__(self, fn: InferenceFunction, info: ArtifactInfo):
        super().__init__()
        variables = [tf.Variable(p.value(), name=p.name, trainable=p.trainable) for p in fn.params]
        # Assigned before the other lists: the first list that holds a variable names its key.
        self.variables = variables
        self.trainable_variables = [v for v, p in zip(variables, fn.params) if p.trainable]
        self.non_trainable_variables = [v for v, p in zip(variables, fn.params) if not p.trainable]
        by_name = {p.name: v for p, v in zip(fn.params, variables)}

        def serve(**inputs):
            return fn(
                {name: v.read_value() for name, v in by_name.items()}, inputs[info.input_name]
            )

        spec = tf.TensorSpec((None, *info.input_shape), info.input_dtype, name=info.input_name)
        self.serve = tf.function(serve, autograph=False)
        self.serving_default = self.serve.get_concrete_function(**{info.input_name: spec})


def write_saved_model(fn: InferenceFunction, info: ArtifactInfo, path: Path) -> None:
    module = ServingModule(fn, info)
    captured = {id(t) for t in module.serving_default.captured_inputs}
    expected = {id(v.handle) for v in module.variables}
    if captured != expected:
        raise RuntimeError("the serving function captured tensors other than the parameters")
    try:
        tf.saved_model.save(
            module, str(path), signatures={"serving_default": module.serving_default}
        )
    except tf.errors.OpError as err:  # a full disk is TensorFlow's ResourceExhaustedError
        reason = os_error_in(err, path)
        if reason is None:
            raise
        raise reason from None
