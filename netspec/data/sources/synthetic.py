"""`synthetic`: generated images of the input's shape that a small net learns in a few steps.

Each class has a coarse random prototype (a 4x4 grid of blocks per channel, stretched over the
image); an example is its class's prototype plus pixel noise, as uint8 0..255. Classes are
balanced. The examples depend only on the shape, `classes` and `examples`, so changing
`data.seed` re-splits the same data instead of making new data. They are generated in memory.
"""

import math

from netspec.data.sources.base import Pool, Problem, Source
from netspec.fields import POS_INT, Field

GRID = 4
PROTOTYPE_WEIGHT = 0.7
PEAK_BYTES = 9  # per value while generating: float32 noise, float32 mix, uint8 result


def read(data: dict, input_spec: dict) -> Pool:
    from netspec.data.examples import ArrayExamples

    classes = data["classes"]
    x, y = generate(tuple(input_spec["shape"]), classes, data["examples"])
    return Pool(ArrayExamples(x, y), [str(k) for k in range(classes)], (0.0, 255.0))


def generate(shape: tuple[int, ...], classes: int, examples: int):
    """Images of `shape` ([h, w, c]); another shape is filled from a [1, n, 1] image of as
    many values (a flat input, such as an MLP's, gets a 1-pixel-high image), [h, w] from
    [h, w, 1]."""
    import numpy as np

    if len(shape) != 3:
        x, y = generate(_as_image(shape), classes, examples)
        return x.reshape((examples, *shape)), y
    height, width, channels = shape
    rng = np.random.default_rng(0)
    grid = (min(GRID, height), min(GRID, width))
    coarse = rng.random((classes, *grid, channels), dtype=np.float32)
    rows = np.arange(height) * grid[0] // height
    cols = np.arange(width) * grid[1] // width
    prototypes = coarse[:, rows][:, :, cols]
    y = rng.permutation(np.arange(examples) % classes).astype(np.int64)
    noise = rng.random((examples, height, width, channels), dtype=np.float32)
    x = PROTOTYPE_WEIGHT * prototypes[y] + (1 - PROTOTYPE_WEIGHT) * noise
    return (x * 255).astype(np.uint8), y


def _as_image(shape: tuple[int, ...]) -> tuple[int, int, int]:
    return (*shape, 1) if len(shape) == 2 else (1, math.prod(shape), 1)


def check(data: dict, input_spec: dict | None):
    from netspec.data.memory import gib, machine_memory

    if data["examples"] < data["classes"]:
        yield Problem(
            ("data", "examples"),
            f"{data['examples']} examples cannot cover {data['classes']} classes",
            "give at least one example per class",
        )
    if input_spec is None:
        return
    size = PEAK_BYTES * data["examples"] * math.prod(input_spec["shape"])
    if size > machine_memory():
        yield Problem(
            ("data", "examples"),
            f"{data['examples']:,} synthetic examples of shape {list(input_spec['shape'])} "
            f"need {gib(size)} of memory to generate; this machine has {gib(machine_memory())}",
            "lower data.examples",
        )


SOURCE = Source(
    "synthetic",
    "generated, learnable examples of the input's shape (for tests)",
    read,
    fields={
        "classes": Field({"type": "integer", "minimum": 2}, "Number of classes.", 10),
        "examples": Field(POS_INT, "Number of examples.", 1000),
    },
    classes=lambda data: data["classes"],
    pool=lambda data: data["examples"],
    check=check,
)
