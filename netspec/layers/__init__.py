"""The layer types netspec knows, by name. To add one: write its module, list it here."""

from netspec.layers.activation import ACTIVATION_LAYER
from netspec.layers.base import BuildContext, LayerType, ShapeError
from netspec.layers.batch_norm import BATCH_NORM
from netspec.layers.concat import CONCAT
from netspec.layers.conv2d import CONV2D
from netspec.layers.dense import DENSE
from netspec.layers.depthwise_conv2d import DEPTHWISE_CONV2D
from netspec.layers.dropout import DROPOUT
from netspec.layers.elementwise import ADD, MULTIPLY
from netspec.layers.flatten import FLATTEN
from netspec.layers.global_avg_pool import GLOBAL_AVG_POOL
from netspec.layers.layer_norm import LAYER_NORM
from netspec.layers.pooling import AVG_POOL, MAX_POOL
from netspec.layers.reshape import RESHAPE
from netspec.layers.separable_conv2d import SEPARABLE_CONV2D
from netspec.layers.upsample import UPSAMPLE

LAYER_TYPES: dict[str, LayerType] = {
    t.name: t
    for t in (
        DENSE,
        CONV2D,
        MAX_POOL,
        AVG_POOL,
        GLOBAL_AVG_POOL,
        DROPOUT,
        FLATTEN,
        RESHAPE,
        ACTIVATION_LAYER,
        BATCH_NORM,
        DEPTHWISE_CONV2D,
        SEPARABLE_CONV2D,
        UPSAMPLE,
        LAYER_NORM,
        ADD,
        MULTIPLY,
        CONCAT,
    )
}

__all__ = ["LAYER_TYPES", "BuildContext", "LayerType", "ShapeError"]
