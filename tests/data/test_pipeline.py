"""tf.data pipeline: these import TensorFlow, hence slow."""

import hashlib
import subprocess
import sys

import numpy as np
import pytest

import netspec.data

pytestmark = pytest.mark.slow

AUGMENT = {"shift": 0.1, "rotation": 15, "zoom": 0.1}
RNG = np.random.default_rng(0)
X = RNG.integers(0, 256, (200, 28, 28, 1), np.uint8)
Y = np.arange(200, dtype=np.int64) % 10


def epochs(ds, count=2):
    return [[(images.numpy(), labels.numpy()) for images, labels in ds] for _ in range(count)]


def digest(batches):
    sha = hashlib.sha256()
    for images, labels in batches:
        sha.update(images.tobytes() + labels.tobytes())
    return sha.hexdigest()


def test_evaluation_keeps_order_and_raw_values(make_spec):
    spec = make_spec("synthetic", batch_size=64)
    batches = epochs(netspec.data.pipeline(X, Y, spec, training=False, num_classes=10), 1)[0]
    assert [len(labels) for _, labels in batches] == [64, 64, 64, 8]
    images = np.concatenate([b[0] for b in batches])
    assert images.dtype == np.float32 and np.array_equal(images, X.astype(np.float32))
    labels = np.concatenate([b[1] for b in batches])
    assert labels.dtype == np.int64 and np.array_equal(labels, Y)


def test_one_hot_labels(make_spec):
    spec = make_spec("synthetic", labels="one_hot", batch_size=50)
    batches = epochs(netspec.data.pipeline(X, Y, spec, training=False, num_classes=12), 1)[0]
    labels = np.concatenate([b[1] for b in batches])
    assert labels.shape == (200, 12) and labels.dtype == np.float32
    assert np.array_equal(labels.argmax(1), Y) and np.array_equal(labels.sum(1), np.ones(200))


def test_training_is_deterministic_and_reshuffles_each_epoch(make_spec):
    spec = make_spec("synthetic", batch_size=50, augment=AUGMENT, cache=False)
    first = epochs(netspec.data.pipeline(X, Y, spec, training=True, num_classes=10))
    again = epochs(netspec.data.pipeline(X, Y, spec, training=True, num_classes=10))
    assert [digest(e) for e in first] == [digest(e) for e in again]
    epoch_labels = [np.concatenate([b[1] for b in epoch]) for epoch in first]
    assert not np.array_equal(epoch_labels[0], epoch_labels[1])
    assert all(sorted(labels) == sorted(Y) for labels in epoch_labels)
    other = epochs(netspec.data.pipeline(X, Y, make_spec("synthetic", train_seed=2), True, 10))
    assert not np.array_equal(np.concatenate([b[1] for b in other[0]]), epoch_labels[0])


def test_augmentation_moves_pixels_but_keeps_labels_and_shapes(make_spec):
    plain = make_spec("synthetic", batch_size=50)
    augmented = make_spec("synthetic", batch_size=50, augment=AUGMENT)
    zeros = make_spec("synthetic", batch_size=50, augment={"shift": 0, "rotation": 0})
    runs = [
        epochs(netspec.data.pipeline(X, Y, spec, training=True, num_classes=10), 1)[0]
        for spec in (plain, augmented, zeros)
    ]
    for (x_plain, y_plain), (x_aug, y_aug), (x_zero, _) in zip(*runs):
        assert np.array_equal(y_plain, y_aug) and x_aug.shape == x_plain.shape
        assert not np.array_equal(x_aug, x_plain)
        assert np.array_equal(x_zero, x_plain)
    evaluation = epochs(netspec.data.pipeline(X, Y, augmented, training=False, num_classes=10), 1)
    assert np.array_equal(np.concatenate([b[0] for b in evaluation[0]]), X.astype(np.float32))


ANOTHER_PROCESS = """
import hashlib, types
import numpy as np
import netspec.data
x = np.random.default_rng(0).integers(0, 256, (200, 28, 28, 1), np.uint8)
y = np.arange(200, dtype=np.int64) % 10
spec = types.SimpleNamespace(
    data={"shuffle_buffer": 1000, "cache": True, "augment": AUGMENT},
    train={"seed": 1, "batch_size": 50, "loss": {"labels": "sparse"}},
)
sha = hashlib.sha256()
for images, labels in netspec.data.pipeline(x, y, spec, True, 10):
    sha.update(images.numpy().tobytes() + labels.numpy().tobytes())
print(sha.hexdigest())
""".replace("AUGMENT", repr(AUGMENT))


def test_same_batches_in_another_process():
    """Two fresh processes, so that no TF global seed set by another test can interfere."""
    runs = [
        subprocess.Popen([sys.executable, "-c", ANOTHER_PROCESS], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    digests = [run.communicate()[0].strip() for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert len(digests[0]) == 64 and digests[0] == digests[1]


def test_synthetic_data_is_learned_in_a_few_epochs(make_spec):
    import keras

    spec = make_spec("synthetic", shape=(12, 12, 1), classes=5, examples=500, batch_size=32)
    ds = netspec.data.load(spec)
    model = keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(5, kernel_initializer=keras.initializers.GlorotUniform(seed=0)),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    train = netspec.data.pipeline(ds.x_train, ds.y_train, spec, True, 5)
    val = netspec.data.pipeline(ds.x_val, ds.y_val, spec, False, 5)
    history = model.fit(train, validation_data=val, epochs=5, shuffle=False, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.9
