"""MirrorPad: reflect/symmetric padding as a variable-free Keras layer (Keras has only zeros).

Imported by conv2d's builder only (this module imports Keras; netspec.layers itself must not).
"""

import keras


class MirrorPad(keras.layers.Layer):
    def __init__(self, pads, mode: str, **kwargs):
        super().__init__(**kwargs)
        self.pads = [list(p) for p in pads]
        self.mode = mode

    def call(self, x):
        return keras.ops.pad(x, [[0, 0], *self.pads, [0, 0]], mode=self.mode)

    def compute_output_shape(self, shape):
        (top, bottom), (left, right) = self.pads
        grow = lambda n, a, b: None if n is None else n + a + b  # noqa: E731
        return (shape[0], grow(shape[1], top, bottom), grow(shape[2], left, right), shape[3])

    def get_config(self):
        return {**super().get_config(), "pads": self.pads, "mode": self.mode}
