"""`synthetic`: generated images of the input's shape that a small net learns in a few steps.

Each class has a coarse random prototype (a 4x4 grid of blocks per channel, stretched over the
image); an example is its class's prototype plus pixel noise, as uint8 0..255. Classes are
balanced. The examples depend only on the shape, `classes` and `examples`, so changing
`data.seed` re-splits the same data instead of making new data.
"""

import numpy as np

from netspec.data.source import SourceData
from netspec.errors import UserError

GRID = 4
PROTOTYPE_WEIGHT = 0.7


def load(data: dict, input_spec: dict) -> SourceData:
    classes, examples = data["classes"], data["examples"]
    if classes < 2 or examples < classes:
        raise UserError(
            f"source 'synthetic' needs at least 2 classes and one example per class, got "
            f"classes: {classes}, examples: {examples}"
        )
    x, y = generate(tuple(input_spec["shape"]), classes, examples)
    return SourceData(x, y, class_names=[str(k) for k in range(classes)], value_range=(0.0, 255.0))


def generate(shape: tuple[int, int, int], classes: int, examples: int):
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
