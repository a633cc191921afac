"""Run directories: the files a training run writes, creating them, and finding them again.

```
runs/<spec name>/<YYYYmmdd-HHMMSS>[-N]/
  spec.yaml          the resolved spec the run trains (reloading it gives the same model)
  manifest.json      what ran, where, on which data, and its status (see manifest.py)
  checkpoints/       last.npz (state after the last completed epoch, what --resume reads),
                     best.npz (early stopping's best weights), final.npz (the trained weights)
  history.csv        one row per completed epoch     curves.png  loss/accuracy per epoch
  metrics.json       final train/validation/test loss and accuracy
  tb/                TensorBoard logs (tb/train, tb/validation)
```
Importing this module is cheap (no TensorFlow), so `netspec summary RUN` can use it.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from netspec.errors import UsageError, UserError
from netspec.processes import pid_alive

RUNS_ROOT = Path("runs")
COMPLETED, RUNNING, INTERRUPTED, FAILED = "completed", "running", "interrupted", "failed"


@dataclass(frozen=True)
class Run:
    path: Path

    spec_file = property(lambda self: self.path / "spec.yaml")
    manifest_file = property(lambda self: self.path / "manifest.json")
    checkpoints = property(lambda self: self.path / "checkpoints")
    last_checkpoint = property(lambda self: self.checkpoints / "last.npz")
    best_checkpoint = property(lambda self: self.checkpoints / "best.npz")
    final_weights = property(lambda self: self.checkpoints / "final.npz")
    history_file = property(lambda self: self.path / "history.csv")
    curves_file = property(lambda self: self.path / "curves.png")
    metrics_file = property(lambda self: self.path / "metrics.json")
    tb_dir = property(lambda self: self.path / "tb")

    def manifest(self) -> dict:
        try:
            return json.loads(self.manifest_file.read_text())
        except FileNotFoundError:
            raise UsageError(
                f"{self.path} is not a run directory (no manifest.json)",
                hint="give a folder that `netspec train` created, "
                "e.g. runs/<spec name>/<timestamp>",
            ) from None
        except (OSError, ValueError) as err:
            raise UserError(f"{self.manifest_file}: unreadable manifest ({err})") from None


def open_run(path) -> Run:
    """The run at `path`; UsageError unless it is a run directory."""
    run = Run(Path(path))
    if not run.path.is_dir():
        raise UsageError(f"{run.path}: no such run directory")
    run.manifest()
    return run


def is_run_dir(path) -> bool:
    return (Path(path) / "manifest.json").is_file()


def new_run(spec_name: str, out=None, root=RUNS_ROOT, now: datetime | None = None) -> Run:
    """Create the run directory: `out` if given (new or empty), else
    `<root>/<spec name>/<timestamp>`, with `-2`, `-3`, ... when that second is taken."""
    if out is not None:
        path = Path(out)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise UsageError(
                f"--out {path} already exists and is not an empty folder",
                hint="choose a new folder; to continue a run use --resume",
            )
        (path / "checkpoints").mkdir(parents=True, exist_ok=True)
        return Run(path)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    parent = Path(root) / spec_name
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = parent / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            path.mkdir()  # fails if taken: two runs started in the same second never share
        except FileExistsError:
            continue
        (path / "checkpoints").mkdir()
        return Run(path)
    raise UserError(f"cannot create a run directory under {parent}")


def find_runs(root) -> list[tuple[Run, dict]]:
    """Every run under `root` (or `root` itself if it is one), oldest first, with manifests.

    A folder whose manifest cannot be read is skipped: one broken run must not hide the others.
    """
    root = Path(root)
    paths = [root] if is_run_dir(root) else sorted(p.parent for p in root.rglob("manifest.json"))
    found = []
    for path in paths:
        try:
            found.append((Run(path), Run(path).manifest()))
        except UserError:
            continue
    return sorted(found, key=lambda item: (item[1].get("started_at", ""), str(item[0].path)))


def latest_run(root=RUNS_ROOT) -> Path:
    """The most recently started run under `root` that completed."""
    done = [run for run, manifest in find_runs(root) if manifest.get("status") == COMPLETED]
    if not done:
        raise UserError(
            f"no completed run under {root}", hint="train one first: netspec train SPEC"
        )
    return done[-1].path


def latest_unfinished_run(spec_name: str, root=RUNS_ROOT) -> Path:
    """The most recently started run of `spec_name` under `root` that did not complete and is
    not still running (interrupted, killed or failed)."""
    runs = [
        run
        for run, manifest in find_runs(Path(root) / spec_name)
        if manifest.get("status") != COMPLETED and not is_alive(manifest)
    ]
    if not runs:
        raise UserError(
            f"no unfinished run of '{spec_name}' under {Path(root) / spec_name}",
            hint="start a new run: netspec train SPEC (without --resume)",
        )
    return runs[-1].path


def is_alive(manifest: dict) -> bool:
    """Whether the process that wrote a `running` manifest still runs (on this machine).

    A run killed with `kill -9` stays `running` in its manifest; this tells it from a live one.
    """
    if manifest.get("status") != RUNNING or manifest.get("host") != socket.gethostname():
        return False
    try:
        pid = int(manifest["pid"])
    except (KeyError, ValueError):
        return False
    return pid_alive(pid)


def resolve_spec_arg(arg) -> Path:
    """A command's SPEC argument as a spec file: a run directory means its spec.yaml."""
    path = Path(arg)
    if path.is_dir():
        if not is_run_dir(path):
            raise UsageError(
                f"{path} is a folder, not a spec file or a run directory",
                hint="give a .yaml spec or a folder that `netspec train` created",
            )
        return Run(path).spec_file
    return path


def load_run(run_dir):
    """(spec, model): the run's resolved spec and its Keras model with the trained weights."""
    from netspec.train.restore import load_trained

    return load_trained(open_run(run_dir))
