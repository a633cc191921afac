"""`netspec train SPEC --out OUT --devices 2` with the batch split the naive way, for
test_distributed: each replica reads a contiguous half of the epoch, and draws its own
dropout mask for its own examples. Run as a script (logical devices need a fresh process)."""

from __future__ import annotations

import math
import sys

import numpy as np

from netspec.cli.app import main
from netspec.compile import global_batch
from netspec.data import pipeline


def halves(count: int, size: int, num_shards: int, shard_index: int):
    steps = math.ceil(count / size)
    low, high = count * shard_index // num_shards, count * (shard_index + 1) // num_shards
    per_step = math.ceil((high - low) / steps)
    starts = np.minimum(low + np.arange(steps, dtype=np.int64) * per_step, high)
    return starts, np.minimum(starts + per_step, high)


if __name__ == "__main__":
    pipeline.shard_bounds = halves
    global_batch.current = lambda: None
    spec, out = sys.argv[1:]
    sys.argv = ["netspec", "train", spec, "--out", out, "--devices", "2", "--quiet"]
    main()
