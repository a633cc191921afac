"""Spec -> Keras: the model (`build_model`), its optimizer, schedule and loss."""

from netspec.compile.model import build_model, rescaling
from netspec.compile.training import build_loss, build_optimizer, learning_rate

__all__ = [
    "build_loss",
    "build_model",
    "build_optimizer",
    "learning_rate",
    "rescaling",
]
