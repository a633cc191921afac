"""Where the examples a replica trains on sit in the step's global batch.

Data parallelism splits each step's global batch into contiguous parts, one per replica
(netspec.data.pipeline). Whatever is random per example during a training step — dropout
masks — is drawn for the whole global batch from the step's seed, and each replica keeps its
own rows, so one device and N replicas compute the same function. The training loop says
which rows a replica holds while it traces the replica's step; layers read it here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_current = threading.local()


@contextmanager
def rows(offset, total) -> Iterator[None]:
    """Within the block, the batch a layer sees is rows [offset, offset + its size) of a
    global batch of `total` examples (scalar tensors)."""
    previous = getattr(_current, "rows", None)
    _current.rows = (offset, total)
    try:
        yield
    finally:
        _current.rows = previous


def current():
    """(offset, total) set by the training loop, or None: the batch is the whole batch."""
    return getattr(_current, "rows", None)
