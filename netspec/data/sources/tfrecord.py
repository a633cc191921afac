"""`tfrecord`: a folder of TFRecord shards of `tf.train.Example`s, one encoded image and one
integer label each (the layout of TFDS and most TensorFlow pipelines).

Feature keys default to `image/encoded` (bytes: PNG, JPEG, ... or .npy) and
`image/class/label` (int64); `features: {image: ..., label: ...}` renames them. A file's split
is the word train, validation (or valid, val) or test in its name, delimited by `-`, `_` or
`.` (`train-00000-of-00004.tfrecord`, TFDS's `mnist-test.tfrecord-00000-of-00001`); the splits
are the files', so `data.split` does not apply. `netspec data pack` writes such a folder with
`netspec-data.json` beside it (counts, class names, fingerprint); without that file, the
records are read once to count them and their labels.

Records cannot be read by index: training streams them (netspec.data.pipeline), or reads them
all into memory first when `cache` says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from netspec.data.sources.base import Pool, Source, path_field, resize_field
from netspec.data.sources.image_folder import check_image_shape
from netspec.errors import UserError, tf_message
from netspec.fields import POS_INT, Field

MANIFEST = "netspec-data.json"
FEATURES = {"image": "image/encoded", "label": "image/class/label"}
SPLITS = {"train": "train", "validation": "validation", "valid": "validation", "val": "validation"}
SPLITS["test"] = "test"
_SPLIT_WORD = re.compile(r"(?:^|[-_.])(train|validation|valid|val|test)(?=[-_.]|$)")


def read(data: dict, input_spec: dict) -> Pool:
    import numpy as np

    from netspec.data.arrays import require_path
    from netspec.data.examples import RecordExamples

    folder = require_path(data, "tfrecord", "folder")
    keys = data["features"]
    shape = tuple(input_spec["shape"])
    manifest = _manifest(folder)
    files = shard_files(folder)
    if not files.get("train"):
        found = ", ".join(sorted(p.name for p in folder.iterdir())[:6]) or "nothing"
        raise UserError(
            f"{folder}: no TFRecord shards of a train split (found: {found})",
            hint="name shards like train-00000-of-00004.tfrecord, or write them with "
            "`netspec data pack`",
        )
    if manifest is not None:
        unlisted = sorted(set(files) - set(manifest["splits"]))
        if unlisted:
            raise UserError(
                f"{folder / MANIFEST} lists no {', '.join(unlisted)} split, but the folder "
                "holds its shards",
                hint="write the folder again with `netspec data pack`, or delete the manifest "
                "to count the records instead",
            )
        counts = {split: manifest["splits"][split]["count"] for split in files}
        class_names = manifest["class_names"]
        value_range = tuple(manifest["value_range"])
    else:
        labels = {split: scan_labels(paths, keys) for split, paths in files.items()}
        counts = {split: len(y) for split, y in labels.items()}
        largest = max(int(y.max()) for y in labels.values() if len(y))
        class_names = [str(k) for k in range(largest + 1)]
        value_range = (0.0, 255.0)
    splits = {
        split: RecordExamples(
            [str(p) for p in paths],
            counts[split],
            keys,
            shape,
            data["resize"],
            data["shuffle_buffer"],
            np.dtype((manifest or {}).get("dtype", "uint8")),
        )
        for split, paths in files.items()
        if counts[split]
    }
    return Pool(None, class_names, value_range, splits=splits)


def shard_files(folder: Path) -> dict[str, list[Path]]:
    """The folder's TFRecord files by split, each list in name order."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or "tfrec" not in path.name:
            continue
        word = _SPLIT_WORD.search(path.name)
        if word:
            found.setdefault(SPLITS[word.group(1)], []).append(path)
    return found


def _manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
        for split in manifest["splits"].values():
            int(split["count"])
        [str(name) for name in manifest["class_names"]]
        if manifest.get("dtype", "uint8") not in ("uint8", "float32"):
            raise ValueError(f"dtype {manifest['dtype']!r} is not uint8 or float32")
        return manifest
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        raise UserError(
            f"{path}: not a readable netspec data manifest ({err})",
            hint="write the folder again with `netspec data pack`, or delete the manifest "
            "to count the records instead",
        ) from None


def packed(data: dict) -> dict | None:
    """What `netspec data pack` recorded about the folder data.path names (None when there is
    no readable manifest): the raw value range and resize mode default to it."""
    path = Path(data["path"]) / MANIFEST if data.get("path") else None
    try:
        return json.loads(path.read_text()) if path and path.is_file() else None
    except (OSError, ValueError):
        return None


def parse(serialized, keys: dict):
    """(encoded image bytes, int64 labels) of a batch of serialized tf.train.Examples; a
    missing feature reads as empty bytes (which then fails to decode) or label -1."""
    import tensorflow as tf

    features = tf.io.parse_example(
        serialized,
        {
            keys["image"]: tf.io.FixedLenFeature([], tf.string, default_value=""),
            keys["label"]: tf.io.FixedLenFeature([], tf.int64, default_value=-1),
        },
    )
    return features[keys["image"]], features[keys["label"]]


def scan_labels(paths: list[Path], keys: dict):
    """Every record's label, in file order (one pass over the records)."""
    import numpy as np
    import tensorflow as tf

    labels = [np.zeros(0, np.int64)]
    for path in paths:
        try:
            for batch in tf.data.TFRecordDataset(str(path)).batch(4096):
                labels.append(parse(batch, keys)[1].numpy())
        except tf.errors.DataLossError as err:
            raise UserError(
                f"{path}: not a readable TFRecord file ({tf_message(err)})",
                hint="write the shards again, e.g. with `netspec data pack`",
            ) from None
    labels = np.concatenate(labels)
    if (labels < 0).any():
        raise UserError(
            f"{paths[0].parent}: {int((labels < 0).sum())} record(s) have no integer "
            f"'{keys['label']}' feature",
            hint="set data.features.label to the records' label key",
        )
    return labels


def read_all(examples, limit: int | None = None):
    """The records' decoded images and labels (the first `limit` of them), in file order, as
    netspec.data.examples ArrayExamples; records that fail to decode are left out (and
    described)."""
    import tensorflow as tf

    from netspec.data.examples import held

    size = examples.count if limit is None else min(limit, examples.count)

    def chunks():
        for batch in tf.data.TFRecordDataset(examples.files).take(size).batch(1024):
            encoded, labels = parse(batch, examples.keys)
            yield *examples.decode(encoded.numpy()), labels.numpy()

    return held(examples, chunks(), size, "record(s)")


SOURCE = Source(
    "tfrecord",
    "a folder of TFRecord shards of tf.train.Example (image bytes + integer label), e.g. "
    "written by `netspec data pack`",
    read,
    fields={
        "path": path_field(
            "Folder of TFRecord shards named by split, relative to the spec file.", True
        ),
        "features": Field(
            {
                "type": "object",
                "properties": {"image": {"type": "string"}, "label": {"type": "string"}},
                "additionalProperties": False,
            },
            "Feature keys of the encoded image and the integer label.",
            dict(FEATURES),
        ),
        "shuffle_buffer": Field(
            POS_INT,
            "Records shuffled together when streaming, in blocks of this many (after the "
            "shards are permuted and interleaved); larger mixes better and holds more encoded "
            "records in memory.",
            10_000,
        ),
        "resize": resize_field(
            None, "Default: the mode the folder was packed with (netspec-data.json), else stretch."
        ),
    },
    own_test=lambda data: True,
    own_splits=True,
    value_range=lambda data: tuple((packed(data) or {}).get("value_range", (0, 255))),
    normalize=lambda data: {
        **data,
        "features": {**FEATURES, **(data["features"] or {})},
        "resize": data["resize"] or (packed(data) or {}).get("resize") or "stretch",
    },
    check=lambda data, input_spec: check_image_shape("tfrecord", input_spec),
    path_fields=("path",),
)
