"""SavedModel export: a plain `tf.Module` whose variables are named exactly as in training.

Keras's own `model.export()` keys its checkpoint positionally (`variables/3/...`) and saves the
Dropout RNG state. Here the module holds one `tf.Variable` per parameter in a nested dict keyed
by layer and parameter, so the variables are named `conv1/kernel:0`, the checkpoint keys read
`params/conv1/kernel/.ATTRIBUTES/VARIABLE_VALUE`, and nothing training-only is saved.
`serving_default` takes the spec's input (dynamic batch) and returns `logits` and
`probabilities`.
"""

from pathlib import Path

import tensorflow as tf

from netspec.export.metadata import ArtifactInfo
from netspec.export.params import InferenceFunction


class ServingModule(tf.Module):
    def __init__(self, fn: InferenceFunction, info: ArtifactInfo):
        super().__init__()
        params: dict = {}
        for p in fn.params:
            *scopes, leaf = p.name.split("/")
            node = params
            for scope in scopes:
                node = node.setdefault(scope, {})
            node[leaf] = tf.Variable(p.value(), name=p.name, trainable=False)
        # Assigned once, complete: tf.Module tracks a dict only as it was when assigned.
        self.params = params
        by_name = {p.name: _lookup(params, p.name) for p in fn.params}

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
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serving_default})
    info.write_sidecar(path)


def _lookup(tree: dict, name: str) -> tf.Variable:
    for part in name.split("/"):
        tree = tree[part]
    return tree
