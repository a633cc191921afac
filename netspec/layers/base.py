"""What a layer type is: its fields, its shape rule, its variables, its cost and its Keras builder.

Importing this package never imports TensorFlow: builders import Keras inside themselves.
Shapes here exclude the batch dimension: (height, width, channels) or (features,).

A type states its variables statically, as Keras names and creates them (`kernel`, `bias`,
`gamma`, ..., in creation order, with their shapes), so parameter counts, summary and
`netspec diff`'s warm-start plan need no TensorFlow; the layer harness
(tests/layers/test_every_layer_type.py) holds every type to what Keras builds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from netspec.fields import (
    BOOL,
    NAME,
    NAME_RULE,
    NON_NEG_NUMBER,
    POS_NUMBER,
    REQUIRED,
    Field,
    object_schema,
    tagged_union,
)

Shape = tuple
Variables = dict[str, tuple[int, ...]]  # variable name -> shape, in Keras's creation order


class ShapeError(Exception):
    """A layer cannot accept its input shape; `field` names the offending field, if any."""

    def __init__(self, message: str, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message, self.field, self.hint = message, field, hint


@dataclass
class BuildContext:
    """What a builder needs beyond its own fields."""

    seed: int  # derived from (train seed, layer name): see netspec.spec.seeds
    l2: float  # effective L2 factor for this layer's kernel (layer's own, else train.l2)
    input_shape: Shape  # a merge layer's: the tuple of its inputs' shapes


@dataclass(frozen=True)
class LayerType:
    name: str
    doc: str
    fields: dict[str, Field]
    infer: Callable[[dict, Shape], Shape]
    build: Callable  # (layer: dict, x: KerasTensor, ctx: BuildContext) -> KerasTensor
    # (layer, input shape, output shape) -> each Keras variable's name and shape, in the
    # order Keras creates them; its full name is `<layer>/<variable>`. Counts derive from it.
    variables: Callable[[dict, Shape, Shape], Variables] = lambda layer, i, o: {}
    flops: Callable[[dict, Shape, Shape], int] = lambda layer, i, o: 0
    normalize: Callable[[dict], dict] = lambda layer: layer
    example: dict = field(default_factory=dict)
    # Variables that training does not update by gradient: batch_norm's moving statistics
    # are parameters (checkpointed, exported) but not trained.
    state: tuple[str, ...] = ()
    # Variable-free Keras layers the builder may add before the layer, as name suffixes and
    # what they are: their names are taken as well (`conv1_pad`).
    helpers: tuple[tuple[str, str], ...] = ()
    # A merge layer (add, concat) reads two or more inputs: its infer, variables, flops and
    # build get the tuple of their shapes and the list of their tensors instead of one.
    merge: bool = False

    def params(self, layer: dict, inp: Shape, out: Shape) -> int:
        """How many values its variables hold."""
        return count(self.variables(layer, inp, out))

    def trainable(self, layer: dict, inp: Shape, out: Shape) -> int:
        """How many of them training updates by gradient."""
        return count(self.variables(layer, inp, out), self.state)

    def all_fields(self) -> dict[str, Field]:
        head = {
            "type": Field({"const": self.name}, "Layer type.", REQUIRED),
            "name": Field(
                NAME,
                f"Layer name ({NAME_RULE}); variables are named "
                "`<name>/<param>`. Default: `<type>_<k>`, the k-th layer of its type.",
            ),
            "inputs": Field(
                {"type": ["array", "null"], "items": NAME, "minItems": 2}
                if self.merge
                else {"type": ["array", "null"], "items": NAME, "minItems": 1, "maxItems": 1},
                "What the layer reads: names of earlier layers, block instances or the "
                "input (inside a block, `input` is the block's input). Default: the layer "
                "before it." + (" A merge reads two or more." if self.merge else " Exactly one."),
                None,
                (["conv2"], ["image", "bn3"]),
            ),
        }
        return {**head, **self.fields}

    def json_schema(self) -> dict:
        return object_schema(
            self.all_fields(), self.doc, examples=[{"type": self.name, **self.example}]
        )


def require_rank(shape: Shape, rank: int, what: str, hint: str | None = None):
    if len(shape) != rank:
        raise ShapeError(
            f"{what} needs a {rank}-D input (without batch), got shape {list(shape)}", hint=hint
        )


def elements(shape: Shape) -> int:
    return math.prod(shape)


def count(variables: Variables, leave_out=()) -> int:
    """The values `variables` hold, those named in `leave_out` not counted."""
    return sum(elements(shape) for name, shape in variables.items() if name not in leave_out)


def with_bias(variables: Variables, channels: int, layer: dict) -> Variables:
    """`variables`, then a `bias` of `channels` values if the layer has one (Keras creates
    the bias after the kernels)."""
    return {**variables, **({"bias": (channels,)} if layer["use_bias"] else {})}


# --- activations ---------------------------------------------------------------------------

ACTIVATIONS = ("linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "elu", "gelu")
ACTIVATION = Field({"enum": list(ACTIVATIONS)}, "Activation applied to the output.", "linear")
ALPHA = Field(NON_NEG_NUMBER, "Negative slope of leaky_relu, or alpha of elu.", 0.2)


def activation_fn(name: str, alpha: float):
    """A Keras activation callable (None for linear)."""
    if name == "linear":
        return None
    from keras import activations

    if name == "leaky_relu":
        return lambda x: activations.leaky_relu(x, negative_slope=alpha)
    if name == "elu":
        return lambda x: activations.elu(x, alpha=alpha)
    return activations.get(name)


# --- initializers --------------------------------------------------------------------------

_INIT_PARAMS = {
    "zeros": {},
    "ones": {},
    "constant": {"value": Field({"type": "number"}, "The constant.", 0.0)},
    "truncated_normal": {
        "mean": Field({"type": "number"}, "Mean.", 0.0),
        "stddev": Field(POS_NUMBER, "Standard deviation (before truncation at 2σ).", 0.05),
    },
    "random_normal": {
        "mean": Field({"type": "number"}, "Mean.", 0.0),
        "stddev": Field(POS_NUMBER, "Standard deviation.", 0.05),
    },
    "random_uniform": {
        "minval": Field({"type": "number"}, "Lower bound.", -0.05),
        "maxval": Field({"type": "number"}, "Upper bound.", 0.05),
    },
    "glorot_uniform": {},
    "glorot_normal": {},
    "he_uniform": {},
    "he_normal": {},
    "lecun_normal": {},
}
_KERAS_INIT = {
    "zeros": "Zeros",
    "ones": "Ones",
    "constant": "Constant",
    "truncated_normal": "TruncatedNormal",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_normal": "LecunNormal",
}
_SEEDLESS = {"zeros", "ones", "constant"}


def initializer_field(default: str, what: str) -> Field:
    variants = {
        name: object_schema(
            {"type": Field({"const": name}, "Initializer.", REQUIRED), **params},
            f"{name} initializer",
        )
        for name, params in _INIT_PARAMS.items()
    }
    schema = tagged_union(
        "type",
        variants,
        f"Initializer of the {what}: a name, or `{{type: truncated_normal, stddev: 0.1}}`.",
        shorthand={"type": "string", "enum": list(_INIT_PARAMS)},
    )
    return Field(
        schema,
        f"Initializer of the {what}.",
        default,
        examples=("he_normal", {"type": "truncated_normal", "stddev": 0.1}),
    )


def normalize_initializer(value) -> dict:
    init = {"type": value} if isinstance(value, str) else dict(value)
    for name, f in _INIT_PARAMS[init["type"]].items():
        init.setdefault(name, f.default)
    return init


def keras_initializer(init: dict, seed: int):
    from keras import initializers

    config = {k: v for k, v in init.items() if k != "type"}
    if init["type"] not in _SEEDLESS:
        config["seed"] = seed
    return getattr(initializers, _KERAS_INIT[init["type"]])(**config)


def keras_l2(factor: float):
    """netspec's `l2: λ` means λ·Σw²/2 (TF1's tf.nn.l2_loss), i.e. Keras L2(λ/2)."""
    if not factor:
        return None
    from keras import regularizers

    return regularizers.L2(factor / 2)


# Fields shared by the layers that own a kernel.
L2 = Field(
    {"type": ["number", "null"], "minimum": 0},
    "L2 factor λ for this layer's kernel: adds λ·Σw²/2 to the loss (TF1's "
    "λ·tf.nn.l2_loss(w); Keras L2(λ/2)). Biases are not regularized. Default: train.l2.",
)
USE_BIAS = Field(BOOL, "Whether the layer adds a bias.", True)


def kernel_fields(kernel_init: str = "glorot_uniform") -> dict[str, Field]:
    return {
        "activation": ACTIVATION,
        "alpha": ALPHA,
        "use_bias": USE_BIAS,
        "l2": L2,
        "kernel_init": initializer_field(kernel_init, "kernel"),
        "bias_init": initializer_field("zeros", "bias"),
    }


def normalize_kernel_layer(layer: dict) -> dict:
    layer["kernel_init"] = normalize_initializer(layer["kernel_init"])
    layer["bias_init"] = normalize_initializer(layer["bias_init"])
    return layer


def kernel_kwargs(layer: dict, ctx: BuildContext) -> dict:
    """Keras keyword arguments common to Dense and Conv2D."""
    return dict(
        activation=activation_fn(layer["activation"], layer["alpha"]),
        use_bias=layer["use_bias"],
        kernel_initializer=keras_initializer(layer["kernel_init"], ctx.seed),
        bias_initializer=keras_initializer(layer["bias_init"], ctx.seed + 1),
        kernel_regularizer=keras_l2(ctx.l2),
        name=layer["name"],
    )


def activation_flops(layer: dict, out: Shape) -> int:
    return 0 if layer.get("activation", "linear") == "linear" else elements(out)
