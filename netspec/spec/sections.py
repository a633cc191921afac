"""The spec's sections other than `layers`: their fields, defaults and documentation."""

from __future__ import annotations

from netspec.data.sources import DEFAULT, SOURCES
from netspec.export.formats import FORMATS
from netspec.fields import (
    BOOL,
    FRACTION,
    NAME,
    NAME_RULE,
    NON_NEG_INT,
    NON_NEG_NUMBER,
    POS_INT,
    POS_NUMBER,
    REQUIRED,
    Field,
    object_schema,
    tagged_union,
)

RANGE = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
SCALE_PRESETS = {"unit": [0.0, 1.0], "centered": [-0.5, 0.5]}

# The model's steps between its input and the first layer (netspec.compile.model), as suffixes
# of the input's name and what they are: their names are taken.
CAST, SCALE = "_cast", "_scale"
INPUT_STEPS = ((CAST, "the input's cast step"), (SCALE, "the input's scaling step"))

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")  # train.precision

INPUT = {
    "name": Field(NAME, f"Input name, used by exported artifacts ({NAME_RULE}).", "image"),
    "shape": Field(
        {"type": "array", "items": POS_INT, "minItems": 1, "maxItems": 3},
        "Shape of one example without the batch axis, e.g. [28, 28, 1].",
        REQUIRED,
        ([28, 28, 1], [784]),
    ),
    "dtype": Field({"enum": ["float32", "uint8"]}, "Data type the model accepts.", "float32"),
    "scale": Field(
        {
            "type": ["string", "object", "null"],
            "if": {"type": "string"},
            "then": {"enum": ["none", *SCALE_PRESETS]},
            "else": {
                "type": ["object", "null"],
                "properties": {"from": RANGE, "to": RANGE},
                "required": ["to"],
                "additionalProperties": False,
            },
        },
        "Scaling applied inside the model, so it takes raw values: `unit` maps the data's raw "
        "range (0..255 for images) to [0, 1], `centered` to [-0.5, 0.5], or "
        "`{from: [0, 255], to: [-1, 1]}`. `none` or null: no scaling.",
        "unit",
        ("unit", "centered", {"from": [0, 255], "to": [-1, 1]}),
    ),
}

_SCHEDULE_FIELDS = {
    "constant": {"value": Field(POS_NUMBER, "Learning rate.", REQUIRED)},
    "exponential": {
        "initial": Field(POS_NUMBER, "Initial learning rate.", REQUIRED),
        "decay_steps": Field(POS_INT, "Steps per decay period.", REQUIRED),
        "decay_rate": Field(
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "Factor applied per period.",
            REQUIRED,
        ),
        "staircase": Field(BOOL, "Decay in discrete steps (TF1 staircase=True).", False),
    },
    "decay_to_floor": {
        "initial": Field(POS_NUMBER, "Initial learning rate.", REQUIRED),
        "floor": Field(NON_NEG_NUMBER, "Learning rate approached as steps grow.", REQUIRED),
        "decay_steps": Field(POS_NUMBER, "k in floor + (initial - floor)·exp(-step/k).", REQUIRED),
    },
    "piecewise": {
        "boundaries": Field(
            {"type": "array", "items": POS_INT, "minItems": 1},
            "Steps at which the rate changes (increasing).",
            REQUIRED,
        ),
        "values": Field(
            {"type": "array", "items": POS_NUMBER, "minItems": 2},
            "Rates: one more than boundaries.",
            REQUIRED,
        ),
    },
    "cosine": {
        "initial": Field(POS_NUMBER, "Peak learning rate (after warmup).", REQUIRED),
        "decay_steps": Field(POS_INT, "Steps of cosine decay after warmup.", REQUIRED),
        "warmup_steps": Field(NON_NEG_INT, "Linear warmup steps from 0.", 0),
        "floor": Field(NON_NEG_NUMBER, "Final learning rate.", 0.0),
    },
}
SCHEDULES = {
    name: object_schema(
        {"schedule": Field({"const": name}, "Schedule.", REQUIRED), **fields}, f"{name} schedule"
    )
    for name, fields in _SCHEDULE_FIELDS.items()
}

_OPTIMIZER_FIELDS = {
    "sgd": {},
    "momentum": {
        "momentum": Field(FRACTION, "Momentum.", 0.9),
        "nesterov": Field(BOOL, "Nesterov momentum.", False),
    },
    "adam": {
        "beta_1": Field(FRACTION, "β1.", 0.9),
        "beta_2": Field(FRACTION, "β2.", 0.999),
        "epsilon": Field(POS_NUMBER, "ε.", 1e-7),
    },
    "adamw": {
        "beta_1": Field(FRACTION, "β1.", 0.9),
        "beta_2": Field(FRACTION, "β2.", 0.999),
        "epsilon": Field(POS_NUMBER, "ε.", 1e-7),
        "weight_decay": Field(NON_NEG_NUMBER, "Decoupled weight decay.", 0.004),
    },
    "rmsprop": {
        "rho": Field(FRACTION, "Discounting factor.", 0.9),
        "momentum": Field(FRACTION, "Momentum.", 0.0),
        "epsilon": Field(POS_NUMBER, "ε.", 1e-7),
    },
}
OPTIMIZERS = {
    name: object_schema(
        {"type": Field({"const": name}, "Optimizer.", REQUIRED), **fields}, f"{name} optimizer"
    )
    for name, fields in _OPTIMIZER_FIELDS.items()
}

_LOSS_FIELDS = {
    "type": Field(
        {"const": "softmax_cross_entropy"},
        "Softmax cross-entropy computed from the logits.",
        "softmax_cross_entropy",
    ),
    "labels": Field(
        {"enum": ["sparse", "one_hot"]},
        "Label encoding: class ids (sparse) or one-hot vectors.",
        "sparse",
    ),
    "label_smoothing": Field(
        {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        "Label smoothing (one_hot labels only).",
        0.0,
    ),
}

EARLY_STOPPING = {
    "monitor": Field(
        {"enum": ["val_loss", "val_accuracy", "loss", "accuracy"]}, "Metric watched.", "val_loss"
    ),
    "patience": Field(POS_INT, "Epochs without improvement before stopping.", 3),
    "min_delta": Field(NON_NEG_NUMBER, "Smallest change that counts as improvement.", 0.0),
    "restore_best": Field(BOOL, "Restore the best epoch's weights at the end.", True),
}

TRAIN = {
    "loss": Field(
        {
            "type": ["string", "object"],
            "if": {"type": "string"},
            "then": {"enum": ["softmax_cross_entropy"]},
            "else": object_schema(_LOSS_FIELDS, "Loss options."),
        },
        "Loss: `softmax_cross_entropy` or `{type: softmax_cross_entropy, labels: one_hot, "
        "label_smoothing: 0.1}`. The model outputs logits; probabilities are derived.",
        "softmax_cross_entropy",
    ),
    "optimizer": Field(
        tagged_union(
            "type",
            OPTIMIZERS,
            "Optimizer: a name, or `{type: momentum, momentum: 0.9, nesterov: true}`.",
            shorthand={"type": "string", "enum": sorted(OPTIMIZERS)},
        ),
        "Optimizer.",
        "adam",
        ("adam", {"type": "momentum", "momentum": 0.9}),
    ),
    "learning_rate": Field(
        {
            **tagged_union(
                "schedule",
                SCHEDULES,
                "Learning rate: a number, or a schedule.",
                shorthand={"type": "number", "exclusiveMinimum": 0},
            )
        },
        "Learning rate: a number, or {schedule: constant|exponential|decay_to_floor|"
        "piecewise|cosine, ...}. decay_to_floor is Görner's lr = floor + (initial - floor)·"
        "exp(-step/decay_steps).",
        0.001,
        (
            0.003,
            {
                "schedule": "exponential",
                "initial": 0.05,
                "decay_steps": 1000,
                "decay_rate": 0.96,
                "staircase": True,
            },
        ),
    ),
    "batch_size": Field(
        POS_INT,
        "Examples per step in all: the global batch, split across replicas when training on "
        "several devices or workers (the learning rate is not rescaled).",
        100,
    ),
    "epochs": Field(POS_INT, "Passes over the training split.", 10),
    "seed": Field(NON_NEG_INT, "Seed for initial weights, dropout, shuffling and splits.", 0),
    "metrics": Field(
        {"type": "array", "items": {"enum": ["accuracy", "top5_accuracy"]}, "uniqueItems": True},
        "Metrics reported besides the loss.",
        ["accuracy"],
    ),
    "l2": Field(
        NON_NEG_NUMBER,
        "Global L2 factor λ for every kernel that does not set its own: "
        "adds λ·Σw²/2 per kernel (TF1's λ·tf.nn.l2_loss(w), Keras L2(λ/2)).",
        0.0,
    ),
    "early_stopping": Field(
        {
            "type": ["object", "null"],
            **{k: v for k, v in object_schema(EARLY_STOPPING, "").items() if k != "type"},
        },
        "Stop when the monitored metric stops improving (null: off).",
        None,
    ),
    "jit_compile": Field(BOOL, "Compile train steps with XLA.", False),
    "steps_per_execution": Field(
        POS_INT,
        "Training steps per call into the TF runtime (fewer "
        "Python round trips; capped at an epoch's steps).",
        32,
    ),
    "checkpoint_every": Field(
        {"type": ["integer", "null"], "minimum": 1},
        "Also checkpoint every N steps within an epoch (null: at epoch ends only); "
        "--resume continues from the latest, bit for bit.",
        None,
        (1000,),
    ),
    "precision": Field(
        {"enum": list(PRECISIONS)},
        "Compute precision. mixed_*: layers compute in bfloat16/float16 with float32 "
        "variables; logits and loss stay float32, checkpoints and exports are float32. "
        "mixed_float16 needs a GPU (it scales the loss); mixed_bfloat16 suits CPUs with "
        "AVX512_BF16/AMX and recent GPUs.",
        "float32",
    ),
}

AUGMENT = {
    "shift": Field(
        {"type": "number", "minimum": 0, "maximum": 0.5},
        "Random shift, as a fraction of height/width.",
        0.0,
    ),
    "rotation": Field(
        {"type": "number", "minimum": 0, "maximum": 180},
        "Random rotation, in degrees either way.",
        0.0,
    ),
    "zoom": Field(
        {"type": "number", "minimum": 0, "maximum": 0.9},
        "Random zoom, as a fraction either way.",
        0.0,
    ),
}

_SPLIT_PART = {"type": "number", "minimum": 0}
SPLIT = {
    "train": Field(_SPLIT_PART, "Training examples: a count (int) or a fraction (< 1).", 0.8),
    "validation": Field(_SPLIT_PART, "Validation examples: a count or a fraction.", 0.1),
    "test": Field(
        _SPLIT_PART,
        "Test examples: a count or a fraction. Must be 0 when the source "
        "has its own test set (mnist, idx with t10k files).",
        0.1,
    ),
}

DATA = {  # the fields of every source; each source adds its own (netspec.data.sources)
    "source": Field(
        {"enum": list(SOURCES)},
        "Where examples come from: " + "; ".join(f"`{n}`: {s.doc}" for n, s in SOURCES.items()),
        DEFAULT,
    ),
    "split": Field(
        object_schema(SPLIT, "How the examples are split."),
        "Stratified, seeded split: counts or fractions.",
        {"train": 0.8, "validation": 0.1, "test": 0.1},
    ),
    "seed": Field(
        {"type": ["integer", "null"], "minimum": 0},
        "Seed of the split, the order of examples and augmentation. Default: train.seed.",
        None,
    ),
    "augment": Field(
        {
            "type": ["object", "null"],
            **{k: v for k, v in object_schema(AUGMENT, "").items() if k != "type"},
        },
        "Random augmentation of training examples (null: none).",
        None,
    ),
    "cache": Field(
        {"enum": ["auto", "memory", "none"]},
        "Hold the decoded examples in memory (`memory`), read them from disk as batches need "
        "them (`none`: data larger than memory), or decide by size (`auto`: memory when "
        "holding them, twice their decoded size, takes up to 4 GiB and 1/8 of the machine's "
        "memory).",
        "auto",
    ),
}
DATA_DOC = "Where the examples come from, how they are split and read."


def data_fields(source: str) -> dict[str, Field]:
    """The fields a data section reading `source` takes, in resolved order."""
    own = SOURCES[source]
    common = {k: f for k, f in DATA.items() if not (k == "split" and own.own_splits)}
    return {"source": common.pop("source"), **own.fields, **common}


def data_schema() -> dict:
    """The data section: `source` selects which fields apply, so an editor completes `path`,
    `per_class`, ... only for the sources that take them. No `source` means the default."""
    return {
        "type": ["object", "null"],
        "description": DATA_DOC,
        "properties": {"source": DATA["source"].json_schema()},
        "allOf": [
            {
                "if": {
                    "type": "object",
                    "properties": {"source": {"const": name}},
                    **({} if name == DEFAULT else {"required": ["source"]}),
                },
                "then": object_schema(data_fields(name), f"Data from source `{name}`."),
            }
            for name in SOURCES
        ],
    }


def retired_hint(path: tuple, key: str, data: dict) -> str | None:
    """What to say about a data key that this data section does not take: a field removed
    from the language, or one of another source."""
    if path != ("data",):
        return None
    source = data.get("source", DEFAULT) if isinstance(data, dict) else DEFAULT
    if key == "shuffle_buffer":
        return (
            "data.shuffle_buffer was removed in netspec 0.2: training permutes every example "
            "each epoch; only source tfrecord takes it (records are streamed through a buffer)"
        )
    if key == "split" and source in SOURCES and SOURCES[source].own_splits:
        return f"source '{source}' takes its splits from its files: remove data.split"
    owners = [n for n, s in SOURCES.items() if key in s.fields]
    if owners:
        return f"`{key}` is a field of source {', '.join(owners)}, not of '{source}'"
    return None


CACHE_HINT = "data.cache is now auto, memory or none (true meant memory, false means none)"

EXPORT = {
    "formats": Field(
        {
            "type": "array",
            "items": {"enum": list(FORMATS)},
            "minItems": 1,
            "uniqueItems": True,
        },
        "Artifacts to write.",
        list(FORMATS),
    ),
    "opset": Field({"type": "integer", "minimum": 13, "maximum": 18}, "ONNX opset (13-18).", 17),
    "preprocessing": Field(
        BOOL, "Include input scaling in the artifacts (they take raw values).", True
    ),
    "tolerance": Field(
        POS_NUMBER,
        "Largest difference of logits allowed between TensorFlow, "
        "the SavedModel and onnxruntime: absolute for logits up to 1 in "
        "magnitude, relative beyond (tolerance x max(1, |logit|)).",
        1e-5,
    ),
}

INIT_FROM = {
    "run": Field({"type": "string"}, "Run directory to load weights from.", REQUIRED),
    "layers": Field(
        {
            "type": ["array", "null"],
            "items": {"type": "string", "pattern": "^[a-z0-9_/*?!\\[\\]-]+$"},
            "uniqueItems": True,
        },
        "What is loaded: layer names (`conv1`), block instances (`stage2_1`: all its "
        "layers), layers inside one (`stage2_1/conv_a`), single variables (`logits/bias`: "
        "only that one), or globs over any of these (`stage1_*`, `*/bias`). A layer loaded "
        "whole needs the same variable shapes in the run; a single variable, its own shape. "
        "Default: every layer present in both. `netspec diff RUN SPEC --init-from` writes "
        "this list.",
        None,
        (["conv1", "stage2_1", "stage3_*/conv_a", "logits/bias"],),
    ),
    "freeze": Field(
        BOOL,
        "Keep the loaded layers fixed during training: those loaded whole (a layer loaded "
        "only in part, e.g. `logits/bias`, trains in full).",
        False,
    ),
}

LIMITS = {
    "params": Field(
        POS_INT,
        "Largest parameter count accepted (catches typos like "
        "`units: 10000000` before anything allocates).",
        50_000_000,
    ),
}

SECTIONS = {
    "input": (INPUT, "The model's input."),
    "train": (TRAIN, "How to train."),
    "data": (DATA, DATA_DOC),
    "export": (EXPORT, "Exported artifacts."),
    "init_from": (INIT_FROM, "Finetuning: load weights by name from an earlier run."),
    "limits": (LIMITS, "Budgets checked statically."),
}
