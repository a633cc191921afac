"""The parameters an exported model carries, and the pure function both formats trace.

A parameter is every Keras variable the inference graph reads: weights, biases and batch-norm
moving statistics, named by its Keras path (`conv1/kernel`). RNG state (Dropout's
`seed_generator_state`) is training-only and never exported; optimizer slots and metric
state live outside the model and are never seen here.

Both exporters trace `serve(weights, x)`, which runs `model.stateless_call` on weight tensors
handed in by the caller, so a traced graph reads no Keras variable by its process-specific
name: the SavedModel hands in its own named `tf.Variable`s, the ONNX converter placeholders
that become named initializers.
"""

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

OUTPUT_NAMES = ("logits", "probabilities")


@dataclass(frozen=True)
class Param:
    name: str  # Keras variable path, `<layer>/<param>`
    shape: tuple[int, ...]
    dtype: str
    trainable: bool
    variable: keras.Variable

    def value(self) -> np.ndarray:
        return np.asarray(self.variable.numpy())


class InferenceFunction:
    """`model`'s inference as a pure function of (parameter tensors, input batch)."""

    def __init__(self, model: keras.Model):
        self.model = model
        rng_state = {id(sg.state) for layer in model._flatten_layers(include_self=True)
                     for sg in layer._seed_generators}
        self.params = [Param(v.path, tuple(v.shape), v.dtype, v.trainable, v)
                       for v in model.variables if id(v) not in rng_state]
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise RuntimeError(f"duplicate variable paths in the model: {sorted(names)}")
        # stateless_call still wants the RNG state; inference never reads it, so a constant does.
        self._rng_values = {id(v): v.numpy() for v in model.variables if id(v) in rng_state}

    def __call__(self, weights: dict[str, tf.Tensor], x: tf.Tensor) -> dict[str, tf.Tensor]:
        def values(variables):
            return [tf.constant(self._rng_values[id(v)]) if id(v) in self._rng_values
                    else weights[v.path] for v in variables]

        logits, _ = self.model.stateless_call(
            values(self.model.trainable_variables), values(self.model.non_trainable_variables),
            x, training=False)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits)}


def inference_model(model: keras.Model, spec, preprocessing: bool) -> keras.Model:
    """`model`, or with `preprocessing=False` the same layers minus the leading scaling step.

    build_model puts the input scaling (no variables) right after the input; the sub-model
    shares every other layer, so parameters and names are unchanged.
    """
    if preprocessing or spec.input.get("scale") is None:
        return model
    scaling = scaling_layer(model, spec)
    return keras.Model(scaling.output, model.output, name=model.name)


def scaling_layer(model: keras.Model, spec) -> keras.layers.Layer:
    """The step that maps raw input values to the trained range (first layer after the input)."""
    first = model.layers[1]
    if first.weights or first.name in {layer["name"] for layer in spec.layers}:
        raise RuntimeError(f"expected the input scaling step after the input, found {first.name!r}")
    return first
