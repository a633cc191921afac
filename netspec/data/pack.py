"""`pack(spec, out_dir)`: a data source's splits as TFRecord shards plus a manifest, so a folder
of a million JPEGs is converted once and training reads shards after (`data: {source:
tfrecord, path: DIR}`, netspec.data.sources.tfrecord).

Exact by construction: an image file is written as its original bytes (no re-encoding: the
same pixels and smaller than decoded ones), an array's example as images.encode's lossless PNG
or .npy. A split's examples go to its shards in contiguous runs, in the split's order, so
reading the shards in name order (what the tfrecord source does when it holds the data in
memory) gives the split back as the source gave it: training with `cache: memory` sees the same
arrays and, with the same seed, ends with the same weights.

Nothing is held whole in memory: each split is read, written and then read back a chunk at a
time, and every example read back must match the source's (a sha256 per chunk of decoded
pixels and labels). The folder is written beside its target and swapped in only when every
split checked out (netspec.outputs.replace_dir), so a failure leaves nothing half written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netspec import files, outputs
from netspec.data import images
from netspec.data.sources.tfrecord import FEATURES, MANIFEST
from netspec.errors import UserError, os_error_in

KIND = "tfrecord"  # the output folder's marker: only a folder pack wrote is replaced
FORMAT = "netspec-tfrecord"
VERSION = 1
FORMAT_KEY = "image/format"  # a bytes feature beside FEATURES: "png", "jpeg", ... or "npy"
CHUNK = 512  # examples read, written and hashed at a time
SHARD_BYTES = 256 << 20  # default shard size: about this much encoded data...
SHARD_EXAMPLES = 10_000  # ...and at most about this many examples (shards are shuffled units)


def pack(spec, out_dir, shards: int | None = None) -> dict:
    """Write `spec`'s data splits (train, validation, test; empty ones left out) to `out_dir`
    as TFRecord shards with a `netspec-data.json` manifest; returns the manifest.

    `shards` is the train split's shard count (smaller splits get proportionally fewer, at
    least one); by default a shard holds about SHARD_BYTES of encoded data or SHARD_EXAMPLES
    examples, whichever comes first. `out_dir` must be new, empty or an earlier pack.
    """
    from netspec.data.dataset import SPLITS, load
    from netspec.data.sources.image_folder import check_image_shape

    source = spec.data["source"]
    if source == "tfrecord":
        raise UserError(
            "the data is TFRecord shards already: there is nothing to pack",
            hint="train from that folder as it is (data: {source: tfrecord, path: ...})",
        )
    for problem in check_image_shape("tfrecord", spec.input):
        raise UserError(f"cannot pack for source tfrecord: {problem.message}", hint=problem.hint)
    if shards is not None and shards < 1:
        raise UserError(f"the shard count must be at least 1, got {shards}")
    out = Path(out_dir)
    _check_apart(out, spec.data, source)
    outputs.check_ours(out, KIND)  # before the data is read: refuse a user's folder at once
    dataset = load(spec, cache="none")
    parts = {name: dataset.split(name) for name in SPLITS if dataset.split(name) is not None}
    counts = shard_counts({name: _size(examples) for name, examples in parts.items()}, shards)
    warnings = list(dataset.warnings)
    splits = {}
    with outputs.replace_dir(out, KIND) as staging:
        for name, examples in parts.items():
            written = _write_split(examples, name, counts[name], staging)
            _verify(written, examples, staging)
            if name == "train" and not written.count:
                raise UserError(
                    f"none of the {len(examples)} training examples could be decoded, "
                    f"e.g. {written.failures[0]}",
                    hint="check data.path and the images in it",
                )
            if written.skipped:
                warnings.append(
                    f"{name}: skipped {written.skipped} image(s) that could not be decoded, "
                    f"e.g. {written.failures[0]}"
                )
            splits[name] = {
                "count": written.count,
                "files": written.files,
                "skipped": written.skipped,
            }
        manifest = _manifest(spec, dataset, splits, warnings)
        files.write_json(staging / MANIFEST, manifest)
    return manifest


def shard_counts(sizes: dict[str, tuple[int, int]], shards: int | None) -> dict[str, int]:
    """Shards per split from {split: (examples, estimated encoded bytes)}: `shards` for train
    and proportionally fewer for the others, or by size; never more shards than examples."""
    counts = {}
    train = sizes["train"][0]
    for name, (examples, size) in sizes.items():
        if shards is None:
            wanted = max(math.ceil(size / SHARD_BYTES), math.ceil(examples / SHARD_EXAMPLES))
        else:
            wanted = round(shards * examples / train)
        counts[name] = max(1, min(wanted, examples))
    return counts


def _check_apart(out: Path, data: dict, source: str) -> None:
    """The output folder is not the data being packed, inside it, or around it."""
    from netspec.data.sources import SOURCES

    target = out.resolve()
    for key in SOURCES[source].path_fields:
        if not data.get(key):
            continue
        given = Path(data[key]).resolve()
        if target == given or target.is_relative_to(given) or given.is_relative_to(target):
            raise UserError(
                f"{out} is, holds or lies inside the data being packed ({data[key]}); "
                "nothing was changed",
                hint="write the shards to a folder of their own",
            )


def _size(examples) -> tuple[int, int]:
    """(examples, an estimate of their encoded bytes): the files' sizes, or the arrays'."""
    from netspec.data.examples import FileExamples

    if isinstance(examples, FileExamples):
        total = 0
        for path in examples.paths:
            with contextlib.suppress(OSError):  # reading it will fail too: counted as skipped
                total += Path(path).stat().st_size
        return len(examples), total
    return len(examples), len(examples) * math.prod(examples.shape) * examples.dtype.itemsize


@dataclass
class Written:
    """What one split's shards hold: `count` examples (`skipped` left out), and a sha256 per
    CHUNK examples of their decoded pixels and labels."""

    split: str
    files: list[str]
    count: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


def _write_split(examples, split: str, shards: int, folder: Path) -> Written:
    import tensorflow as tf

    names = [f"{split}-{k:05d}-of-{shards:05d}.tfrecord" for k in range(shards)]
    written = Written(split, names)
    hashes = ChunkHashes()
    bounds = [len(examples) * k // shards for k in range(shards + 1)]
    for k, name in enumerate(names):
        path = folder / name
        try:
            with tf.io.TFRecordWriter(str(path)) as writer:
                for start in range(bounds[k], bounds[k + 1], CHUNK):
                    index = np.arange(start, min(start + CHUNK, bounds[k + 1]))
                    for data, kind, pixels, label in _encoded(examples, index, written):
                        writer.write(_record(data, kind, label))
                        hashes.add(pixels, label)
                        written.count += 1
        except tf.errors.OpError as err:  # a full disk is TensorFlow's ResourceExhaustedError
            reason = os_error_in(err, path)
            if reason is None:
                raise
            raise reason from None
    written.digests = hashes.done()
    return written


def _encoded(examples, index: np.ndarray, written: Written):
    """(bytes, format, decoded pixels, label) of the examples at `index` that decode."""
    from netspec.data.examples import ArrayExamples, FileExamples

    labels = examples.labels[index].tolist()
    if isinstance(examples, ArrayExamples):
        pixels, _ = examples.read(index)
        for row, label in zip(pixels, labels):
            data = images.encode(row)
            yield data, "npy" if data[:6] == images.NPY_MAGIC else "png", row, label
        return
    if not isinstance(examples, FileExamples):
        raise TypeError(f"cannot pack {type(examples).__name__}")
    for i, label in zip(index.tolist(), labels):
        path = Path(examples.paths[i])
        try:
            data = path.read_bytes()
            pixels = images.decode(data, examples.shape, examples.resize)
        except (OSError, images.DecodeError) as err:
            written.skipped += 1
            if len(written.failures) < 5:
                reason = getattr(err, "strerror", None) or str(err)
                written.failures.append(f"{path.relative_to(examples.root).as_posix()}: {reason}")
            continue
        yield data, image_format(data), pixels, label


def image_format(data: bytes) -> str:
    """What the encoded image is, by its content: "png", "jpeg", "gif", ... or "npy"."""
    if data[:6] == images.NPY_MAGIC:
        return "npy"
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=images.FORMATS) as image:  # the header only
        return (image.format or "unknown").lower()


def _record(data: bytes, kind: str, label: int) -> bytes:
    import tensorflow as tf

    feature = {
        FEATURES["image"]: tf.train.Feature(bytes_list=tf.train.BytesList(value=[data])),
        FEATURES["label"]: tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
        FORMAT_KEY: tf.train.Feature(bytes_list=tf.train.BytesList(value=[kind.encode()])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _verify(written: Written, examples, folder: Path) -> None:
    """Read the split's shards back; their decoded examples must be the ones written."""
    import tensorflow as tf

    from netspec.data.sources.tfrecord import parse

    resize = getattr(examples, "resize", "stretch")
    hashes, count = ChunkHashes(), 0
    records = tf.data.TFRecordDataset([str(folder / name) for name in written.files])
    for batch in records.batch(CHUNK):
        encoded, labels = parse(batch, FEATURES)
        for data, label in zip(encoded.numpy(), labels.numpy().tolist()):
            try:
                pixels = images.decode(data, examples.shape, resize)
            except images.DecodeError as err:
                raise _mismatch(written.split, f"record {count} does not decode ({err})") from None
            hashes.add(pixels, label)
            count += 1
    if count != written.count:
        raise _mismatch(written.split, f"{count} records read back, {written.count} written")
    for k, (got, expected) in enumerate(zip(hashes.done(), written.digests)):
        if got != expected:
            last = min((k + 1) * CHUNK, count) - 1
            raise _mismatch(written.split, f"examples {k * CHUNK}..{last} read back differ")


def _mismatch(split: str, what: str) -> UserError:
    return UserError(
        f"the {split} shards do not hold what was written: {what}; nothing was changed",
        hint="check the disk (and try again); if it is healthy, this is a netspec bug: please "
        "report it",
    )


class ChunkHashes:
    """A sha256 per CHUNK examples of (pixels with dtype and shape, label), in order."""

    def __init__(self):
        self.digests: list[str] = []
        self._digest, self._count = hashlib.sha256(), 0

    def add(self, pixels: np.ndarray, label: int) -> None:
        pixels = np.ascontiguousarray(pixels)
        self._digest.update(f"{pixels.dtype.str}{pixels.shape}:{int(label)};".encode())
        self._digest.update(pixels.tobytes())
        self._count += 1
        if self._count == CHUNK:
            self._close()

    def done(self) -> list[str]:
        if self._count:
            self._close()
        return self.digests

    def _close(self) -> None:
        self.digests.append(self._digest.hexdigest())
        self._digest, self._count = hashlib.sha256(), 0


def _manifest(spec, dataset, splits: dict, warnings: list[str]) -> dict:
    import netspec

    return {
        "format": FORMAT,
        "version": VERSION,
        "source": spec.data,
        "features": dict(FEATURES),
        "shape": list(spec.input["shape"]),
        "dtype": dataset.train.dtype.name,  # of the decoded images: uint8, or float32 arrays
        "class_names": list(dataset.class_names),
        "value_range": [float(v) for v in dataset.value_range],
        "resize": spec.data.get("resize", "stretch"),
        "splits": splits,
        "fingerprint": dataset.fingerprint,
        "warnings": warnings,
        "netspec_version": netspec.__version__,
    }
