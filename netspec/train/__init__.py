"""The training loop: new and resumed runs, finetuning, evaluation, progress.

`netspec.train.train(spec, out=None, resume=None, quiet=False) -> Path` trains into a run
directory (netspec.runs describes its layout). Importing this package does not import
TensorFlow; `train` does, once it has checked the spec.
"""

from pathlib import Path


def train(spec=None, out=None, resume=None, quiet: bool = False) -> Path:
    """See netspec.train.session.train."""
    from netspec.train.session import train as run_training

    return run_training(spec, out=out, resume=resume, quiet=quiet)
