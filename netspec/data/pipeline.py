"""The input pipeline: every batch netspec trains, validates or evaluates on comes from here.

Epoch e's batches are a pure function of (data seed, e): the order is a permutation drawn from
them, and so is each example's augmentation. That is what makes --resume exact: epoch e sees
the same batches whether the process trained epochs 0..e-1 before or started at e.

Sharding is per step: step s's global batch is positions [s·B, s·B + B) of the epoch's order
(the last one shorter), and shard k of N takes the k-th of N contiguous, near-equal parts of
it. So at every step the shards' examples are disjoint and together are the single-device
batch, the last partial batch is split the same way, and since augmentation is drawn per
position in the epoch, how a batch is split changes nothing.

How examples are read depends on how the source holds them (netspec.data.examples):
- arrays in memory are held once as a tensor and each batch is gathered in one op;
- memory-mapped arrays and image files are read by index on tf.data's threads;
- TFRecord shards cannot be read by index: the epoch's order is the shards permuted by (seed,
  e), read with a deterministic interleave, then shuffled in blocks of data.shuffle_buffer
  records, each block by a stateless shuffle seeded by (seed, e, block) — not by tf.data's
  shuffle, whose seed TensorFlow mixes with the global seed.
Files and records that fail to decode become zero-weight examples (then batches are
(images, labels, weights)), so batch shapes and step counts never depend on them.

Batches hold float32 images with raw values (the model scales them), and int64 class ids or
float32 one-hot rows when train.loss.labels is "one_hot".
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from netspec.data import examples as kinds

no_autograph = tf.autograph.experimental.do_not_convert  # plain ops: skip the slow conversion
INTERLEAVE = 4  # shards read at once from a TFRecord set


class Batches:
    """Batches of one split's `examples` (netspec.data.examples)."""

    def __init__(self, examples, spec, num_classes: int, size: int | None = None):
        self.examples, self.seed = examples, spec.data["seed"]
        self.size = size or spec.train["batch_size"]
        self.one_hot = num_classes if spec.train["loss"]["labels"] == "one_hot" else None
        self.augment = Augmentation.from_options(spec.data.get("augment"))
        self.weighted = examples.decodes
        self.records = isinstance(examples, kinds.RecordExamples)
        if not self.records:
            self.labels = tf.constant(examples.labels)
        self.images = None  # the examples as one tensor, when they are held in memory
        if isinstance(examples, kinds.ArrayExamples) and examples.in_memory:
            if "images" not in examples.tensors:
                examples.tensors["images"] = tf.constant(examples.materialized().x)
            self.images = examples.tensors["images"]

    @property
    def steps(self) -> int:
        return -(-len(self.examples) // self.size)

    def epoch(
        self, epoch: int, num_shards: int = 1, shard_index: int = 0, start_step: int = 0
    ) -> tf.data.Dataset:
        """Training batches of `epoch` (this shard's part of each step) from step
        `start_step` on: shuffled, and augmented if the spec says so."""
        rng = np.random.default_rng([self.seed, epoch])
        if self.records:
            files = [self.examples.files[k] for k in rng.permutation(len(self.examples.files))]
            shuffle_seed = int(rng.integers(2**31))
            draws = self.augment.draws(rng, len(self.examples)) if self.augment else None
            return self._streamed(files, shuffle_seed, draws, num_shards, shard_index, start_step)
        order = rng.permutation(len(self.examples))
        draws = self.augment.draws(rng, len(self.examples)) if self.augment else None
        return self._indexed(order, draws, num_shards, shard_index, start_step)

    def rows(self, num_shards: int = 1, shard_index: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Per step: where this shard's part starts in the step's global batch, and the
        global batch's size (netspec.compile.global_batch)."""
        starts, _ = shard_bounds(len(self.examples), self.size, num_shards, shard_index)
        first = np.arange(self.steps, dtype=np.int64) * self.size
        return starts - first, np.minimum(first + self.size, len(self.examples)) - first

    def in_order(self, num_shards: int = 1, shard_index: int = 0) -> tf.data.Dataset:
        """All examples in their order (records: file by file), not augmented (validation,
        evaluation)."""
        if self.records:
            return self._streamed(self.examples.files, None, None, num_shards, shard_index)
        return self._indexed(np.arange(len(self.examples)), None, num_shards, shard_index)

    def _indexed(
        self, order, draws, num_shards: int, shard_index: int, start_step: int = 0
    ) -> tf.data.Dataset:
        starts, ends = shard_bounds(len(order), self.size, num_shards, shard_index)
        starts, ends = starts[start_step:], ends[start_step:]
        order = tf.constant(order)
        draws = None if draws is None else tf.constant(draws)

        def batch(start, end):
            positions = tf.range(start, end)
            index = tf.gather(order, positions)
            x, ok = self._read(index)
            if draws is not None:
                x = self.augment(x, tf.gather(draws, positions))
            return self._element(x, tf.gather(self.labels, index), ok)

        steps = tf.data.Dataset.from_tensor_slices((starts, ends))
        return _parallel(steps, batch, python=self.images is None)

    def _read(self, index):
        if self.images is not None:
            return tf.cast(tf.gather(self.images, index), tf.float32), None
        x, ok = tf.numpy_function(
            self.examples.read, [index], (tf.as_dtype(self.examples.dtype), tf.bool)
        )
        x.set_shape((None, *self.examples.shape))
        ok.set_shape((None,))
        return tf.cast(x, tf.float32), ok if self.weighted else None

    def _streamed(
        self, files, shuffle_seed, draws, num_shards, shard_index, start_step: int = 0
    ) -> tf.data.Dataset:
        from netspec.data.sources import tfrecord

        examples = self.examples
        records = tf.data.Dataset.from_tensor_slices(files).interleave(
            tf.data.TFRecordDataset,
            cycle_length=1 if shuffle_seed is None else min(INTERLEAVE, len(files)),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
        if shuffle_seed is not None:
            blocks = records.batch(examples.shuffle_buffer).enumerate()
            records = blocks.map(
                lambda block, serialized: tf.random.experimental.stateless_shuffle(
                    serialized, seed=tf.stack([tf.constant(shuffle_seed, tf.int64), block])
                )
            ).unbatch()
        draws = None if draws is None else tf.constant(draws)

        def batch(step, serialized):
            n = tf.shape(serialized, out_type=tf.int64)[0]
            start = n * shard_index // num_shards
            end = n * (shard_index + 1) // num_shards
            encoded, labels = tfrecord.parse(serialized[start:end], examples.keys)
            x, ok = tf.numpy_function(
                examples.decode, [encoded], (tf.as_dtype(examples.dtype), tf.bool)
            )
            x = tf.cast(tf.ensure_shape(x, (None, *examples.shape)), tf.float32)
            ok = tf.ensure_shape(ok, (None,))
            if draws is not None:
                x = self.augment(x, tf.gather(draws, step * self.size + tf.range(start, end)))
            return self._element(x, labels, ok)

        # Records cannot be skipped unread, but skipped steps are not decoded.
        steps = records.batch(self.size).enumerate().skip(start_step)
        steps = steps.apply(tf.data.experimental.assert_cardinality(self.steps - start_step))
        return _parallel(steps, batch, python=True)

    def _element(self, x, labels, ok):
        if self.one_hot is not None:
            labels = tf.one_hot(labels, self.one_hot)
        if not self.weighted:
            return x, labels
        return x, labels, tf.cast(ok, tf.float32)


def shard_bounds(count: int, size: int, num_shards: int, shard_index: int):
    """Per step, the positions [start, end) of the epoch's order that shard `shard_index` of
    `num_shards` reads: its part of the step's global batch."""
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"shard {shard_index} of {num_shards}")
    steps = math.ceil(count / size)
    first = np.arange(steps, dtype=np.int64) * size
    n = np.minimum(first + size, count) - first
    return first + n * shard_index // num_shards, first + n * (shard_index + 1) // num_shards


class Augmentation:
    """Random rotation, zoom and shift, each example's drawn from its own four uniforms (so a
    batch split across replicas is augmented the same), applied as one projective transform
    per image with edge pixels repeated (right for any background, black or not).

    shift: largest translation as a fraction of height/width; rotation: degrees either way;
    zoom: largest zoom in or out as a fraction.
    """

    DRAWS = 4

    def __init__(self, shift: float, rotation: float, zoom: float):
        self.shift, self.rotation, self.zoom = shift, math.radians(rotation), zoom

    @classmethod
    def from_options(cls, options: dict | None) -> Augmentation | None:
        options = options or {}
        values = [options.get(key) or 0.0 for key in ("shift", "rotation", "zoom")]
        return cls(*values) if any(values) else None

    def draws(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.random((count, self.DRAWS), dtype=np.float32)

    @no_autograph
    def __call__(self, images, uniforms):
        height = tf.cast(tf.shape(images)[1], tf.float32)
        width = tf.cast(tf.shape(images)[2], tf.float32)
        signed = 2.0 * uniforms - 1.0  # in [-1, 1)
        angle = signed[:, 0] * self.rotation
        scale = 1.0 + signed[:, 1] * self.zoom  # >1 samples a larger area: zooms out
        dx, dy = signed[:, 2] * self.shift * width, signed[:, 3] * self.shift * height
        cos, sin = tf.cos(angle) * scale, tf.sin(angle) * scale
        cx, cy = (width - 1) / 2, (height - 1) / 2
        # output (x, y) samples input (a0·x + a1·y + a2, b0·x + b1·y + b2)
        transforms = tf.stack(
            [
                cos,
                -sin,
                cx - cos * cx + sin * cy - dx,
                sin,
                cos,
                cy - sin * cx - cos * cy - dy,
                tf.zeros_like(cos),
                tf.zeros_like(cos),
            ],
            axis=1,
        )
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=images,
            transforms=transforms,
            output_shape=tf.shape(images)[1:3],
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="NEAREST",
        )


def _parallel(dataset: tf.data.Dataset, function, python: bool = False) -> tf.data.Dataset:
    """`function` over `dataset` on tf.data's threads, ahead of the model (order is kept).

    `python`: the function reads or decodes in Python (tf.numpy_function). Python runs one
    thread at a time, so batches are made one after another in the background: on 2 cores,
    several at once measured 1.7-2.7x slower (benchmarks/data_scale.py)."""
    calls = 1 if python else tf.data.AUTOTUNE
    return dataset.map(no_autograph(function), num_parallel_calls=calls).prefetch(tf.data.AUTOTUNE)
