"""Hyperparameter sweeps: `netspec sweep SPEC` trains the spec's `sweep:` trials on Optuna.

```
runs/<spec name>/sweeps/<YYYYmmdd-HHMMSS>[-N]/
  .netspec         marks the folder as a netspec sweep (nothing else is ever written into)
  .lock            held by the sweep's process: one process runs a sweep at a time
  sweep.json       what was swept: the spec file, its --set overrides and resolved hash
  study.sqlite     the Optuna study; only the sweep's process opens it
  trial-<NNN>/     each trial's run directory (an ordinary run: export it, resume it)
  logs/            each trial's output (trial-<NNN>.log)
  trials.csv       number, state, metric, each parameter, run, seconds, error
  best.yaml        the best trial's resolved spec without `sweep`: netspec train best.yaml
  report.png       the metric against each parameter, and the best so far
```
The pieces: directory.py (the folder), study.py (everything Optuna), runner.py (trial
processes, pruning, stopping), outputs.py (the three result files), display.py (the live table).
Importing this package is cheap: Optuna, matplotlib and rich load when a sweep runs.
"""

from netspec.sweep.runner import SweepInterrupted, SweepResult, resume, run

__all__ = ["SweepInterrupted", "SweepResult", "resume", "run"]
