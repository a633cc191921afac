"""A finished run's spec and model with its trained weights (for evaluate, export, summary)."""

from __future__ import annotations

import netspec.spec
from netspec.errors import UserError
from netspec.train import checkpoints
from netspec.train.runs import COMPLETED, Run


def load_trained(run: Run):
    """(spec, model) of a completed run: its spec.yaml and the weights in final.npz."""
    import tensorflow as tf

    from netspec.compile import build_model

    manifest = run.manifest()
    if manifest.get("status") != COMPLETED or not run.final_weights.exists():
        raise UserError(
            f"run {run.path} has no trained weights yet (status: {manifest.get('status')})",
            hint=f"finish it: netspec train --resume {run.path}",
        )
    spec = netspec.spec.load(run.spec_file)
    arrays, _ = checkpoints.load(run.final_weights)
    with tf.distribute.get_strategy().scope():
        model = build_model(spec)
    checkpoints.assign(checkpoints.model_weights(model), arrays, run.final_weights)
    return spec, model
