"""Spec -> Keras: the model (`build_model`) and its training setup (`compile_model`)."""

from netspec.compile.model import build_model, rescaling
from netspec.compile.training import build_loss, build_optimizer, compile_model, learning_rate

__all__ = [
    "build_loss",
    "build_model",
    "build_optimizer",
    "compile_model",
    "learning_rate",
    "rescaling",
]
