"""Per-layer seeds: derived from (train seed, layer name), not from a global counter.

So inserting or removing a layer leaves every other layer's initial weights unchanged.
"""

import hashlib


def layer_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
