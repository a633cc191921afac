"""The parameters an exported model carries, and the pure function both formats trace.

A parameter is every Keras variable the inference graph reads: weights, biases and batch-norm
moving statistics, named by its Keras path (`conv1/kernel`). RNG state (Dropout's
`seed_generator_state`) is training-only and never exported; optimizer slots and metric
state live outside the model and are never seen here.

Both exporters trace an InferenceFunction, which runs `model.stateless_call` on weight tensors
handed in by the caller, so a traced graph reads no Keras variable by its process-specific
name: the SavedModel hands in its own named `tf.Variable`s, the ONNX converter placeholders
that become named initializers.
"""

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf


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
        rng_state = {
            id(sg.state)
            for layer in model._flatten_layers(include_self=True)
            for sg in layer._seed_generators
        }
        self.params = [
            Param(v.path, tuple(v.shape), v.dtype, v.trainable, v)
            for v in model.variables
            if id(v) not in rng_state
        ]
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise RuntimeError(f"duplicate variable paths in the model: {sorted(names)}")
        # stateless_call still wants the RNG state; inference never reads it, so a constant does.
        self._rng_values = {id(v): v.numpy() for v in model.variables if id(v) in rng_state}

    def __call__(self, weights: dict[str, tf.Tensor], x: tf.Tensor) -> dict[str, tf.Tensor]:
        def values(variables):
            return [
                tf.constant(self._rng_values[id(v)])
                if id(v) in self._rng_values
                else weights[v.path]
                for v in variables
            ]

        logits, _ = self.model.stateless_call(
            values(self.model.trainable_variables),
            values(self.model.non_trainable_variables),
            x,
            training=False,
        )
        return {"logits": logits, "probabilities": tf.nn.softmax(logits)}


def inference_model(model: keras.Model, preprocessing: bool) -> keras.Model:
    """`model`, or with `preprocessing=False` the same layers minus the input scaling.

    build_model scales (and casts) the raw input before the first spec layer; the sub-model
    starts after the scaling and shares every other layer, so parameters and names are
    unchanged.
    """
    scaling = scaling_layer(model)
    if preprocessing or scaling is None:
        return model
    return keras.Model(scaling.output, model.output, name=model.name)


def scaling_layer(model: keras.Model) -> keras.layers.Rescaling | None:
    """The model's input scaling step; no spec layer type builds a Rescaling layer."""
    found = [layer for layer in model.layers if isinstance(layer, keras.layers.Rescaling)]
    if len(found) > 1:
        raise RuntimeError(
            f"expected one input scaling step, found {[layer.name for layer in found]}"
        )
    return found[0] if found else None
