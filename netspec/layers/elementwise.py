"""add and multiply: merge two or more inputs of equal shape value by value (one rule, two ops).

No broadcasting: every input must have the same shape, so a mismatch is reported rather than
silently stretched. FLOPs: (inputs - 1) operations per output value.
"""

from netspec.layers.base import BuildContext, LayerType, ShapeError, elements


def listing(shapes) -> str:
    """`[a], [b] and [c]`: every input shape, in order."""
    names = [str(list(shape)) for shape in shapes]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def require_inputs(shapes, what: str) -> None:
    if len(shapes) < 2:
        raise ShapeError(f"{what} needs at least 2 inputs, got {len(shapes)}", field="inputs")


def infer(layer, shapes):
    require_inputs(shapes, layer["type"])
    if any(tuple(shape) != tuple(shapes[0]) for shape in shapes[1:]):
        raise ShapeError(
            f"{layer['type']} needs inputs of equal shape, got {listing(shapes)}",
            hint="give the branches equal shapes: e.g. a 1×1 conv2d for the channels, pooling or "
            "upsample for height and width",
        )
    return tuple(shapes[0])


def flops(layer, inp, out):
    return (len(inp) - 1) * elements(out)


def _elementwise(name: str, keras_class: str, what: str) -> LayerType:
    def build(layer, xs, ctx: BuildContext):
        from keras import layers

        return getattr(layers, keras_class)(name=layer["name"])(list(xs))

    return LayerType(
        name=name,
        doc=f"{what} two or more inputs of equal shape, value by value (no variables).",
        fields={},
        infer=infer,
        flops=flops,
        build=build,
        example={"name": name + "1", "inputs": ["conv1", "conv2"]},
        merge=True,
    )


ADD = _elementwise("add", "Add", "Sum")
MULTIPLY = _elementwise("multiply", "Multiply", "Multiply")
