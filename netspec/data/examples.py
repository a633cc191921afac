"""Examples as sources hold them: arrays (in memory or memory-mapped), image files, or TFRecord
shards. Labels are always in memory (or, for records, counted); pixels are read on demand.

`ArrayExamples` and `FileExamples` are read by index, so the pipeline can permute and shard
them freely; `RecordExamples` can only be streamed (netspec.data.pipeline). Reading a file
or record that fails to decode gives zero pixels and ok=False: the pipeline makes it a
zero-weight example and the failure is counted in `Failures`.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netspec.data import images

CHUNK = 1024  # files per read when decoding a whole set
CHUNK_BYTES = 64 << 20  # bytes per read when hashing, checking or copying a whole array
SAMPLED_ROWS = 4096  # rows of a memory-mapped array the fingerprint reads
UINT8 = np.dtype(np.uint8)  # what images decode to


class Failures:
    """Files or records that failed to decode while training: counted, a few kept by name."""

    KEPT = 5

    def __init__(self):
        self._lock = threading.Lock()
        self.count, self.examples = 0, []

    def add(self, what: str, reason: str) -> None:
        with self._lock:
            self.count += 1
            if len(self.examples) < self.KEPT:
                self.examples.append(f"{what}: {reason}")

    def take(self) -> tuple[int, list[str]]:
        """The failures since the last call, and forget them."""
        with self._lock:
            found = self.count, self.examples
            self.count, self.examples = 0, []
            return found


@dataclass
class ArrayExamples:
    """Rows of `x` (an array or a np.memmap) chosen by `index` (all rows when None)."""

    x: np.ndarray
    labels: np.ndarray
    index: np.ndarray | None = None
    # the pipeline's tensor of `x`, made once and shared by every Batches of these examples
    tensors: dict = field(default_factory=dict, repr=False, compare=False)
    decodes = False  # reading an array cannot fail

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def shape(self) -> tuple:
        return tuple(self.x.shape[1:])

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype

    @property
    def in_memory(self) -> bool:
        return not isinstance(self.x, np.memmap)

    def subset(self, index: np.ndarray) -> ArrayExamples:
        rows = index if self.index is None else self.index[index]
        return ArrayExamples(self.x, self.labels[index], rows)

    def read(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = index if self.index is None else self.index[index]
        if isinstance(self.x, np.memmap):  # read in file order, then put back in ours
            order = np.argsort(rows, kind="stable")
            pixels = np.empty((len(rows), *self.shape), self.dtype)
            pixels[order] = self.x[rows[order]]
        else:
            pixels = self.x[rows]
        return pixels, np.ones(len(rows), bool)

    def materialized(self) -> ArrayExamples:
        if self.in_memory and self.index is None:
            return self
        x = np.empty((len(self), *self.shape), self.dtype)
        for start, pixels in self.chunks():
            x[start : start + len(pixels)] = pixels
        return ArrayExamples(x, self.labels)

    def chunks(self):
        """(first position, pixels) of consecutive runs of about CHUNK_BYTES."""
        size = max(1, CHUNK_BYTES // max(1, self.dtype.itemsize * int(np.prod(self.shape))))
        for start in range(0, len(self), size):
            yield start, self.read(np.arange(start, min(start + size, len(self))))[0]

    def hash_into(self, digest, name: str) -> None:
        """In memory: the same bytes netspec 0.1 hashed over the whole split array (run
        fingerprints made then still match). Memory-mapped (data streamed from disk): the
        labels and SAMPLED_ROWS evenly spaced rows, so starting a run does not read the whole
        file."""
        if self.in_memory:
            digest.update(f"x_{name}:{self.dtype.str}:{(len(self), *self.shape)};".encode())
            for _, pixels in self.chunks():
                digest.update(memoryview(np.ascontiguousarray(pixels)).cast("B"))
        else:
            rows = np.unique(np.linspace(0, len(self) - 1, SAMPLED_ROWS).astype(np.int64))
            sample = self.read(rows[rows >= 0])[0]
            digest.update(f"mapped_{name}:{self.dtype.str}:{(len(self), *self.shape)};".encode())
            digest.update(memoryview(np.ascontiguousarray(sample)).cast("B"))
        labels = np.ascontiguousarray(self.labels)
        digest.update(f"y_{name}:{labels.dtype.str}:{labels.shape};".encode())
        digest.update(labels.tobytes())


@dataclass
class FileExamples:
    """Image files decoded on demand to `shape` by netspec.data.images."""

    paths: list[str]
    labels: np.ndarray
    shape: tuple
    resize: str
    root: Path  # what the fingerprint names the files relative to
    failures: Failures = field(default_factory=Failures)
    decodes = True
    in_memory = False
    dtype = UINT8

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray) -> FileExamples:
        return FileExamples(
            [self.paths[k] for k in index],
            self.labels[index],
            self.shape,
            self.resize,
            self.root,
        )  # with failures of its own: each split's are reported apart

    def read(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        paths = [self.paths[i] for i in index]
        return decode_each(self, paths, lambda path: Path(path).read_bytes(), self._name)

    def decoded(self) -> tuple[ArrayExamples, list[str]]:
        """Every file decoded into memory; files that fail are left out (and described)."""
        chunks = (
            (*self.read(index), self.labels[index])
            for index in np.array_split(np.arange(len(self)), max(1, -(-len(self) // CHUNK)))
        )
        return held(self, chunks, len(self), "image(s)")

    def hash_into(self, digest, name: str) -> None:
        """Which files, with which labels and sizes; not their pixels (that would mean
        decoding every image of a large set to start a run)."""
        digest.update(f"files_{name}:{len(self)}:{self.shape}:{self.resize};".encode())
        for path, label in zip(self.paths, self.labels.tolist()):
            digest.update(f"{self._name(path)}\0{label}\0{Path(path).stat().st_size}\n".encode())

    def _name(self, path: str) -> str:
        return Path(path).relative_to(self.root).as_posix()


@dataclass
class RecordExamples:
    """`count` tf.train.Example records in TFRecord `files`, streamed in order (no index)."""

    files: list[str]
    count: int
    keys: dict  # {"image": feature key, "label": feature key}
    shape: tuple
    resize: str
    shuffle_buffer: int
    dtype: np.dtype = UINT8  # float32 for float arrays that `data pack` wrote
    failures: Failures = field(default_factory=Failures)
    decodes = True
    in_memory = False

    def __len__(self) -> int:
        return self.count

    def decode(self, encoded) -> tuple[np.ndarray, np.ndarray]:
        """(pixels, ok) of a batch of records' encoded images."""
        return decode_each(self, list(encoded), lambda data: data, lambda data: "a record")

    def hash_into(self, digest, name: str) -> None:
        """Shard names, sizes and the record count; not the records' bytes."""
        digest.update(f"records_{name}:{self.count}:{self.shape}:{self.resize};".encode())
        for path in self.files:
            digest.update(f"{Path(path).name}\0{Path(path).stat().st_size}\n".encode())


def fingerprint(splits: dict) -> str:
    """sha256 over the splits in order; see each kind's `hash_into` for what it covers. A split
    with no examples counts as absent."""
    digest = hashlib.sha256()
    for name, examples in splits.items():
        if examples is None:
            digest.update(f"x_{name}:none;y_{name}:none;".encode())
        else:
            examples.hash_into(digest, name)
    return digest.hexdigest()


def decode_each(examples, items: list, read, name) -> tuple[np.ndarray, np.ndarray]:
    """(pixels, ok) of `items` decoded to `examples`' shape, resize mode and dtype: `read(item)`
    gives an item's encoded bytes. One that cannot be read or decoded, or holds values of
    another type (a float .npy among images: never cast), reads as zeros with ok False and is
    counted in `examples.failures` under `name(item)`."""
    pixels = np.zeros((len(items), *examples.shape), examples.dtype)
    ok = np.ones(len(items), bool)
    for k, item in enumerate(items):
        try:
            decoded = images.decode(read(item), examples.shape, examples.resize)
            if decoded.dtype != examples.dtype:
                raise images.DecodeError(f"holds {decoded.dtype} values, expected {examples.dtype}")
            pixels[k] = decoded
        except (OSError, images.DecodeError) as err:
            ok[k] = False
            examples.failures.add(name(item), getattr(err, "strerror", None) or str(err))
    return pixels, ok


def held(examples, chunks, size: int, what: str) -> tuple[ArrayExamples, list[str]]:
    """ArrayExamples of the examples that decoded, from `chunks` of (pixels, ok, labels), filled
    into one array of `size` rows (a list of chunks and a concatenation would hold two), and a
    warning about those that did not (`what` names them: "image(s)", "record(s)")."""
    x = np.empty((size, *examples.shape), examples.dtype)
    labels = np.empty(size, np.int64)
    kept = 0
    for pixels, ok, chunk_labels in chunks:
        count = int(ok.sum())
        x[kept : kept + count], labels[kept : kept + count] = pixels[ok], chunk_labels[ok]
        kept += count
    count, described = examples.failures.take()
    warnings = (
        [f"skipped {count} {what} that could not be decoded, e.g. {described[0]}"] if count else []
    )
    return ArrayExamples(x[:kept], labels[:kept]), warnings
