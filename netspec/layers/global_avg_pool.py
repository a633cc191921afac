"""global_avg_pool: average each channel over height and width: [h, w, c] -> [c]."""

from netspec.layers.base import BuildContext, LayerType, elements, require_rank


def infer(layer, shape):
    require_rank(shape, 3, "global_avg_pool")
    return (shape[2],)


def build(layer, x, ctx: BuildContext):
    from keras import layers

    return layers.GlobalAveragePooling2D(name=layer["name"])(x)


GLOBAL_AVG_POOL = LayerType(
    name="global_avg_pool",
    doc="Average over height and width; gives one value per channel.",
    fields={},
    infer=infer,
    flops=lambda layer, inp, out: elements(inp),
    build=build,
    example={"name": "gap"},
)
