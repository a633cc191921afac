"""netspec: declarative model specs for TensorFlow."""

__version__ = "0.1.0"
