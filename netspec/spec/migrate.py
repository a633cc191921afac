"""Versions of the resolved spec, and how older ones are brought up to date when read.

A run's spec.yaml and an export's netspec.json hold a resolved spec. Its `format` says which
version of the language wrote it (none: format 1). Reading one of an older format migrates it
in memory; the spec keeps the hash it was made with (`made_hash`), which the run's manifest,
checkpoints and exports recorded, so old runs still resume, export, evaluate and initialise
new ones. Add a step here whenever a change to the language would alter a resolved spec.

- 1 (netspec 0.1): every data section held every source's fields; `data.shuffle_buffer`
  and a boolean `data.cache` were accepted but training ignored them.
- 2: data fields per source (netspec.data.sources); `cache: auto | memory | none`;
  `shuffle_buffer` only for tfrecord.
- 3: `batch_norm.sync` (default true: global-batch statistics under data parallelism; formats
  1-2 normalized with each batch's own statistics, computed by another formula, so their runs
  read as `sync: false`); `train.precision` and `train.checkpoint_every`, whose defaults are
  what formats 1-2 did.
- 4: graphs: a layer's `inputs`, the spec's `output` and `blocks`; `sweep` (a search for
  `netspec sweep`). Their defaults are the plain stack formats 1-3 describe, with no sweep,
  so nothing needs migrating; the format says that an older netspec cannot read the spec.
"""

from __future__ import annotations

import copy

from netspec.data.sources import DEFAULT, SOURCES
from netspec.errors import UserError

FORMAT = 4
_V1_SOURCE_FIELDS = ("path", "test_path", "per_class", "classes", "examples")


def version_of(data: dict, resolved: bool) -> int:
    """The format of a spec document; a resolved spec without one is from netspec 0.1, any
    other spec file is written in the current language."""
    version = data.get("format") if isinstance(data, dict) else None
    if version is None:
        return 1 if resolved else FORMAT
    if isinstance(version, int) and version > FORMAT:
        raise UserError(
            f"this spec is in format {version}, written by a newer netspec (this one reads "
            f"formats up to {FORMAT})",
            hint="upgrade netspec to read it",
        )
    return version if isinstance(version, int) else FORMAT  # the schema reports a bad one


def migrate(data: dict, version: int) -> dict:
    """`data` (a spec document of format `version`) in the current format."""
    data = copy.deepcopy(data)
    if version < 2:
        _v1_to_v2(data)
    if version < 3:
        _v2_to_v3(data)
    data["format"] = FORMAT
    return data


def _v1_to_v2(doc: dict) -> None:
    data = doc.get("data")
    if not isinstance(data, dict):
        return
    data.pop("shuffle_buffer", None)
    if isinstance(data.get("cache"), bool):
        data["cache"] = "memory"  # netspec 0.1 trained on every example held in memory
    source = SOURCES.get(data.get("source", DEFAULT))
    for key in _V1_SOURCE_FIELDS:
        if source is not None and key not in source.fields:
            data.pop(key, None)


def _v2_to_v3(doc: dict) -> None:
    for layer in doc.get("layers") or ():
        if isinstance(layer, dict) and layer.get("type") == "batch_norm":
            layer.setdefault("sync", False)
