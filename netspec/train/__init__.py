"""Training runs: run directories, manifests, checkpoints, resume, finetuning, evaluation.

`netspec.train.train(spec, out=None, resume=None, quiet=False) -> Path` trains into a run
directory (see netspec.train.runs for its layout). Importing this package does not import
TensorFlow, so `netspec.train.runs` stays cheap for commands that only read run directories.
"""

from pathlib import Path


def train(spec=None, out=None, resume=None, quiet: bool = False) -> Path:
    """See netspec.train.session.train."""
    from netspec.train.session import train as run_training

    return run_training(spec, out=out, resume=resume, quiet=quiet)
