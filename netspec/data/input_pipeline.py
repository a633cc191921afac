"""numpy arrays -> tf.data.Dataset for training and evaluation.

This module imports TensorFlow; `netspec.data.pipeline` imports it only when called.

Values stay raw (the model's first step scales them). Augmentation runs Keras' RandomTranslation,
RandomRotation and RandomZoom on each batch, seeded per batch from a stream derived from
train.seed that changes every epoch. The layers' own seed generators are not used: they are
shared state that parallel map calls would race on, so batches would differ between runs.

Shuffling and batch seeds are TensorFlow op-level seeds: the batches are the same for the same
train.seed and the same TF global seed (unset, or set by keras.utils.set_random_seed).
"""

import keras
import numpy as np
import tensorflow as tf

FILL_MODE = "nearest"  # repeat the edge pixels: right for any background, black or not
AUGMENT_STREAM = 1  # batch seeds come from (train.seed, this), not the shuffle's own seed


def pipeline(
    x: np.ndarray, y: np.ndarray, spec, training: bool, num_classes: int
) -> tf.data.Dataset:
    """Batches of (float32 images, labels): int64 ids, or float32 one-hot rows when
    train.loss.labels is "one_hot". Shuffled (seeded, anew each epoch) and augmented only when
    `training`."""
    data, train = spec.data, spec.train
    seed = train["seed"]
    one_hot = train["loss"]["labels"] == "one_hot"

    def prepare(image, label):
        return tf.cast(image, tf.float32), tf.one_hot(label, num_classes) if one_hot else label

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    if data.get("cache"):
        ds = ds.cache()
    if training:
        ds = ds.shuffle(data["shuffle_buffer"], seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(train["batch_size"])
    augment = augmentation(data.get("augment") or {}, seed) if training else None
    if augment is not None:
        stream = int(np.random.SeedSequence([seed, AUGMENT_STREAM]).generate_state(1)[0])
        batch_seeds = tf.data.Dataset.random(seed=stream, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip(ds, batch_seeds).map(
            lambda batch, batch_seed: (augment(batch[0], batch_seed), batch[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.prefetch(tf.data.AUTOTUNE)


def augmentation(options: dict, seed: int):
    """A function (images, batch seed) -> images, or None when every option is 0 or absent.

    shift: largest translation as a fraction of height/width; rotation: degrees either way;
    zoom: largest zoom in or out as a fraction.
    """
    # seed= only keeps the layers' unused generators off Python's global random state
    layers = []
    if options.get("shift"):
        shift = options["shift"]
        layers.append(keras.layers.RandomTranslation(shift, shift, fill_mode=FILL_MODE, seed=seed))
    if options.get("rotation"):
        factor = options["rotation"] / 360  # Keras counts in fractions of a full turn
        layers.append(keras.layers.RandomRotation(factor, fill_mode=FILL_MODE, seed=seed))
    if options.get("zoom"):
        layers.append(keras.layers.RandomZoom(options["zoom"], fill_mode=FILL_MODE, seed=seed))
    if not layers:
        return None

    def augment(images, batch_seed):
        for index, layer in enumerate(layers):
            seeds = _SeedsFrom(tf.stack([batch_seed, tf.constant(index, tf.int64)]))
            transformation = layer.get_random_transformation(images, training=True, seed=seeds)
            images = layer.transform_images(images, transformation, training=True)
        return images

    return augment


class _SeedsFrom(keras.random.SeedGenerator):
    """A stateless stand-in for a SeedGenerator: the n-th draw is `base` folded with n.

    Keras' random ops accept a seed only as an int or a SeedGenerator; this one keeps no
    variable, so every draw is a pure function of the batch seed.
    """

    def __init__(self, base: tf.Tensor):  # no super().__init__(): it would create a variable
        self.base = base
        self.draws = 0

    def next(self, ordered=True):
        self.draws += 1
        return tf.random.experimental.stateless_fold_in(self.base, self.draws)
