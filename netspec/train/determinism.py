"""Same spec and seed, same weights: seeding, and the choice about op determinism.

`keras.utils.set_random_seed` seeds Python, numpy and TensorFlow; initial weights and dropout
draw from per-layer seeds (compiler), and the input pipeline from (data seed, epoch) (session).
`tf.config.experimental.enable_op_determinism()` is turned on only where a GPU is visible, where
some kernels (cuDNN convolutions, scatter adds) are not deterministic. On CPU it is left off:
TensorFlow's CPU kernels are deterministic already (tests/train checks bit-identical weights
across processes), and the switch cannot be undone within a process and serializes parallel
tf.data maps, which would slow every later pipeline of a notebook or test session.
"""

import keras
import tensorflow as tf


def uses_op_determinism() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def seed(value: int) -> None:
    if uses_op_determinism():
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(value)
