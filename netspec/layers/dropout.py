"""dropout: zero a random fraction of activations during training.

Give either `rate` (fraction dropped, Keras) or `keep_prob` (fraction kept, TF1), never both.

The mask of a training step is drawn for the whole global batch from the layer's seed state
and the step, and a replica keeps the rows of its own examples (netspec.compile.global_batch):
1 device or N replicas drop the same units of the same example. On one device this is
exactly Keras's Dropout (the same draw, bit for bit), which runs made before keep relying on.
The seed state advances once per training step; the training loop advances it, because a
replica cannot write a variable the replicas share.
"""

import functools

from netspec.fields import Field
from netspec.layers.base import BuildContext, LayerType, ShapeError

_OPEN_FRACTION = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}


def normalize(layer):
    keep = layer.pop("keep_prob")
    if keep is not None and layer["rate"] is not None:
        raise ShapeError(
            "give either rate or keep_prob, not both",
            field="keep_prob",
            hint=f"rate = 1 - keep_prob; keep only `rate: {layer['rate']}`",
        )
    if keep is None and layer["rate"] is None:
        raise ShapeError(
            "dropout needs `rate` (fraction dropped) or `keep_prob` (kept)", hint="e.g. `rate: 0.5`"
        )
    if layer["rate"] is None:
        layer["rate"] = round(1.0 - keep, 12)
    return layer


def build(layer, x, ctx: BuildContext):
    return _layer_class()(layer["rate"], seed=ctx.seed, name=layer["name"])(x)


@functools.cache
def _layer_class():
    """Defined on first use: the spec language must not import Keras."""
    import keras
    import tensorflow as tf

    from netspec.compile import global_batch

    @keras.saving.register_keras_serializable("netspec")
    class GlobalBatchDropout(keras.layers.Dropout):
        def call(self, inputs, training=False):
            if not training or self.rate == 0:
                return inputs
            # Keras's seed cast and tf.nn.experimental.stateless_dropout, op for op, with the
            # uniform noise drawn for the global batch and sliced to this replica's rows.
            seed = self.seed_generator.state.value * 1
            seed = tf.cast(tf.math.floormod(seed, tf.int32.max - 1), tf.int32)
            shape = tf.shape(inputs)
            offset, total = global_batch.current() or (0, shape[0])
            noise = tf.random.stateless_uniform(  # float32 under mixed precision too
                tf.concat([[total], shape[1:]], 0), seed=seed, dtype=tf.float32, alg=None
            )
            noise = noise[offset : offset + shape[0]]
            scaled = inputs * tf.constant(1 / (1 - self.rate), inputs.dtype)
            return tf.where(noise >= self.rate, scaled, tf.constant(0, inputs.dtype))

    return GlobalBatchDropout


DROPOUT = LayerType(
    name="dropout",
    doc="Dropout during training; identity at inference. Give `rate` or `keep_prob`.",
    fields={
        "rate": Field(
            _OPEN_FRACTION, "Fraction of units dropped (Keras). 0 <= rate < 1.", None, (0.25, 0.5)
        ),
        "keep_prob": Field(
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "Fraction of units kept (TF1's keep_prob = 1 - rate).",
            None,
            (0.75,),
        ),
    },
    infer=lambda layer, shape: shape,
    build=build,
    normalize=normalize,
    example={"keep_prob": 0.75},
)
