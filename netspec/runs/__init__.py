"""Run directories: what a training run writes, and everything that reads it back.

```
runs/<spec name>/<YYYYmmdd-HHMMSS>[-N]/
  spec.yaml          the resolved spec the run trains (reloading it gives the same model)
  graph.svg          the network as a picture (netspec graph)
  manifest.json      what ran, where, on which data, and its status (manifest.py)
  .lock              held by the process training the run (netspec.locks)
  checkpoints/       last.npz (state after the last completed epoch, or the last of every
                     train.checkpoint_every steps: what --resume reads),
                     best.npz (early stopping's best weights), final.npz (the trained weights)
  history.csv        one row per completed epoch     curves.png  loss/accuracy per epoch
  metrics.json       final train/validation/test loss and accuracy
  tb/                TensorBoard logs (tb/train, tb/validation)
  export/            what `netspec export` wrote
```
Used by train, evaluate, export, summary and predict. Importing this package is cheap (no
TensorFlow): `trained.load_trained` imports it when it builds a model.
"""

from netspec.runs.directory import (
    RUNS_ROOT,
    Run,
    find_runs,
    is_run_dir,
    latest_run,
    latest_unfinished_run,
    new_run,
    open_run,
    resolve_spec_arg,
)
from netspec.runs.manifest import COMPLETED, FAILED, INTERRUPTED, RUNNING

__all__ = [
    "COMPLETED",
    "FAILED",
    "INTERRUPTED",
    "RUNNING",
    "RUNS_ROOT",
    "Run",
    "find_runs",
    "is_run_dir",
    "latest_run",
    "latest_unfinished_run",
    "new_run",
    "open_run",
    "resolve_spec_arg",
]
