"""Batches of in-memory examples for training, validation and prediction.

Training batches of epoch e are a pure function of (data seed, e): the order is a permutation
drawn from them and each batch's augmentation seed too. That is what makes --resume exact:
epoch e sees the same batches whether the process trained epochs 0..e-1 before or started at
e. (`netspec.data.pipeline` shuffles and augments from seeded state that advances with every
pass over it, so its n-th pass depends on how many passes came before, and Keras makes extra
ones.)

The examples are held once as tensors and each batch is gathered by index in one op: no
per-example map, no shuffle buffer to fill, so a new dataset per epoch costs next to nothing
(on specs/cnn.yaml this feeds the model faster than `fit` on numpy arrays). Batches match
`netspec.data.pipeline`'s: float32 images with raw values, int64 class ids or float32 one-hot
rows; augmentation is the data module's.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from netspec.data.input_pipeline import augmentation

no_autograph = tf.autograph.experimental.do_not_convert  # plain ops: skip the slow conversion


class Batches:
    def __init__(
        self, x: np.ndarray, y: np.ndarray, spec, num_classes: int, size: int | None = None
    ):
        self.images, self.labels = tf.constant(x), tf.constant(y)
        self.count, self.seed = len(y), spec.data["seed"]
        self.size = size or spec.train["batch_size"]
        self.one_hot = num_classes if spec.train["loss"]["labels"] == "one_hot" else None
        self.augment = augmentation(spec.data.get("augment") or {}, self.seed)

    @property
    def steps(self) -> int:
        return -(-self.count // self.size)

    def epoch(self, epoch: int) -> tf.data.Dataset:
        """Training batches of `epoch`: shuffled, and augmented if the spec says so."""
        rng = np.random.default_rng([self.seed, epoch])
        batches = tf.data.Dataset.from_tensor_slices(rng.permutation(self.count))
        batches = batches.batch(self.size)
        if self.augment is None:
            return _parallel(batches, self._batch)
        seeds = tf.data.Dataset.from_tensor_slices(rng.integers(0, 2**62, size=self.steps))
        return _parallel(tf.data.Dataset.zip(batches, seeds), self._augmented_batch)

    def in_order(self) -> tf.data.Dataset:
        """All examples in their order, not augmented (validation, prediction)."""
        return _parallel(tf.data.Dataset.range(self.count).batch(self.size), self._batch)

    def _batch(self, index):
        return self._images(index), self._labels(index)

    def _augmented_batch(self, index, seed):
        return self.augment(self._images(index), seed), self._labels(index)

    def _images(self, index):
        return tf.cast(tf.gather(self.images, index), tf.float32)

    def _labels(self, index):
        labels = tf.gather(self.labels, index)
        return labels if self.one_hot is None else tf.one_hot(labels, self.one_hot)


def _parallel(dataset: tf.data.Dataset, function) -> tf.data.Dataset:
    """`function` over `dataset` on tf.data's threads, ahead of the model (order is kept)."""
    return dataset.map(no_autograph(function), num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )
