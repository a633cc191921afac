"""A run directory's paths, creating one, opening one, and finding runs again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from netspec import locks
from netspec.errors import UsageError, UserError
from netspec.runs.manifest import COMPLETED

RUNS_ROOT = Path("runs")
SWEEPS = "sweeps"  # a sweep's trials: runs/<spec name>/sweeps/<sweep id>/trial-<NNN>/
NOT_A_RUN_HINT = "give a folder that `netspec train` created, e.g. runs/<spec name>/<timestamp>"


@dataclass
class Run:
    path: Path
    _manifest: dict | None = field(default=None, repr=False, compare=False)
    _spec: object = field(default=None, repr=False, compare=False)

    spec_file = property(lambda self: self.path / "spec.yaml")
    graph_file = property(lambda self: self.path / "graph.svg")
    manifest_file = property(lambda self: self.path / "manifest.json")
    lock_file = property(lambda self: self.path / ".lock")
    checkpoints = property(lambda self: self.path / "checkpoints")
    last_checkpoint = property(lambda self: self.checkpoints / "last.npz")
    best_checkpoint = property(lambda self: self.checkpoints / "best.npz")
    final_weights = property(lambda self: self.checkpoints / "final.npz")
    history_file = property(lambda self: self.path / "history.csv")
    curves_file = property(lambda self: self.path / "curves.png")
    metrics_file = property(lambda self: self.path / "metrics.json")
    tb_dir = property(lambda self: self.path / "tb")
    export_dir = property(lambda self: self.path / "export")

    def manifest(self) -> dict:
        """manifest.json, read once (manifest.write keeps this copy current)."""
        if self._manifest is None:
            self._manifest = _read_manifest(self)
        return self._manifest

    def spec(self):
        """The run's resolved spec (spec.yaml, checked like any spec; no TensorFlow)."""
        if self._spec is None:
            from netspec.spec import load

            self._spec = load(self.spec_file, resolved=True)
        return self._spec

    def lock(self) -> locks.Lock:
        """Own the run (train, resume) until released or this process ends."""
        return locks.acquire(self.lock_file, f"run {self.path}")

    def is_active(self) -> bool:
        """Whether a live process is training this run (on any host sharing the folder)."""
        return locks.is_held(self.lock_file)


def _read_manifest(run: Run) -> dict:
    try:
        manifest = json.loads(run.manifest_file.read_text())
    except FileNotFoundError:
        raise UsageError(
            f"{run.path} is not a run directory (no manifest.json)", hint=NOT_A_RUN_HINT
        ) from None
    except (OSError, ValueError) as err:
        raise UserError(f"{run.manifest_file}: unreadable manifest ({err})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("spec"), dict):
        raise UserError(
            f"{run.manifest_file}: not a netspec manifest",
            hint="it was changed after netspec wrote it",
        )
    return manifest


def open_run(path) -> Run:
    """The run at `path`; UsageError unless it is a run directory."""
    run = Run(Path(path))
    if not run.path.is_dir():
        raise UsageError(
            f"{run.path}: no such run directory"
            if not run.path.exists()
            else f"{run.path} is not a run directory (it is a file)",
            hint=NOT_A_RUN_HINT,
        )
    if not is_run_dir(run.path):
        raise UsageError(
            f"{run.path} is not a run directory (no manifest.json)", hint=NOT_A_RUN_HINT
        )
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
                f"{path} already exists and is not an empty folder",
                hint="choose a new folder for the run; to continue a run, resume it",
            )
        (path / "checkpoints").mkdir(parents=True, exist_ok=True)
        return Run(path)
    parent = Path(root) / spec_name
    parent.mkdir(parents=True, exist_ok=True)
    for path in _candidates(parent, now):
        try:
            path.mkdir()  # fails if taken: two runs started in the same second never share
        except FileExistsError:
            continue
        (path / "checkpoints").mkdir()
        return Run(path)
    raise UserError(f"cannot create a run directory under {parent}")


def next_run_path(spec_name: str, root=RUNS_ROOT, now: datetime | None = None) -> Path:
    """The folder new_run would create now (for a job whose chief creates it later)."""
    return next(p for p in _candidates(Path(root) / spec_name, now) if not p.exists())


def _candidates(parent: Path, now: datetime | None) -> Iterator[Path]:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        yield parent / (stamp if n == 1 else f"{stamp}-{n}")


def find_runs(root, trials: bool = False) -> list[Run]:
    """Every run under `root` (or `root` itself if it is one), oldest first.

    A folder whose manifest cannot be read is skipped: one broken run must not hide the others.
    Sweep trials are left out unless `trials` (see run_paths).
    """
    found = []
    for path in run_paths(root, trials):
        run = Run(path)
        try:
            run.manifest()
        except UserError:
            continue
        found.append(run)
    return sorted(found, key=lambda run: (str(run.manifest().get("started_at", "")), str(run.path)))


def run_paths(root, trials: bool = False) -> list[Path]:
    """The folders under `root` holding a manifest.json (or `root` itself if it is one), in
    path order, readable or not.

    A sweep's trials (`<name>/sweeps/<sweep id>/<trial>/`) are left out unless `trials`, or
    unless `root` is the sweep (or its `sweeps` folder): asked for "the latest run", a sweep
    must never answer for the runs it was started from.
    """
    root = Path(root)
    if is_run_dir(root):
        return [root]
    paths = sorted(p.parent for p in root.rglob("manifest.json") if p.is_file())
    return [p for p in paths if trials or not _trial_below(p, root)]


def sweep_of(path) -> str | None:
    """The sweep id if `path` is a sweep trial's run directory (`.../sweeps/<id>/<trial>`)."""
    path = Path(path).absolute()
    return path.parent.name if path.parent.parent.name == SWEEPS else None


def _trial_below(path: Path, root: Path) -> bool:
    """Whether `path` lies in a sweep (`sweeps/<id>/...`) below `root`; a spec named `sweeps`
    has its runs at `sweeps/<timestamp>`."""
    return SWEEPS in path.relative_to(root).parts[:-2]


def latest_run(root=RUNS_ROOT) -> Run:
    """The most recently started run under `root` that completed (never a sweep's trial)."""
    done = [run for run in find_runs(root) if run.manifest().get("status") == COMPLETED]
    if not done:
        raise UserError(
            f"no completed run under {root}", hint="train one first: netspec train SPEC"
        )
    return done[-1]


def latest_unfinished_run(spec_name: str, root=RUNS_ROOT) -> Run:
    """The most recently started run of `spec_name` under `root` that did not complete and is
    not being trained (interrupted, killed or failed); never a sweep's trial."""
    runs = [
        run
        for run in find_runs(Path(root) / spec_name)
        if run.manifest().get("status") != COMPLETED and not run.is_active()
    ]
    if not runs:
        raise UserError(
            f"no unfinished run of '{spec_name}' under {Path(root) / spec_name}",
            hint="start a new run: netspec train SPEC (without --resume)",
        )
    return runs[-1]


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
