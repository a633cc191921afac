"""An exported model opened for prediction: its metadata and a function from inputs to
probabilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from netspec.export.metadata import ArtifactInfo


@dataclass
class Artifact:
    path: Path
    info: ArtifactInfo
    probabilities: Callable  # input batch (N, *input_shape) -> (N, classes) numpy array
