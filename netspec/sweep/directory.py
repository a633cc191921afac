"""A sweep's folder: created under runs/<spec name>/sweeps/, marked and locked before anything
is written into it, and recognised again by `--resume` only if netspec made it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import netspec
from netspec import files, locks, outputs
from netspec.errors import UsageError, UserError
from netspec.runs import RUNS_ROOT
from netspec.runs.directory import SWEEPS, next_run_path

KIND = "sweep"  # its .netspec marker
HINT = "give a folder that `netspec sweep` created, e.g. runs/<spec name>/sweeps/<timestamp>"


@dataclass(frozen=True)
class SweepFolder:
    path: Path

    meta_file = property(lambda self: self.path / "sweep.json")
    study_file = property(lambda self: self.path / "study.sqlite")
    lock_file = property(lambda self: self.path / ".lock")
    trials_file = property(lambda self: self.path / "trials.csv")
    best_file = property(lambda self: self.path / "best.yaml")
    report_file = property(lambda self: self.path / "report.png")
    logs = property(lambda self: self.path / "logs")

    def trial_dir(self, number: int) -> Path:
        return self.path / trial_name(number)

    def log_file(self, number: int) -> Path:
        return self.logs / f"{trial_name(number)}.log"

    def meta(self) -> dict:
        try:
            meta = json.loads(self.meta_file.read_text())
        except (OSError, ValueError) as err:
            raise UserError(f"{self.meta_file}: unreadable ({err})", hint=HINT) from None
        if not isinstance(meta, dict) or not isinstance(meta.get("spec"), str):
            raise UserError(f"{self.meta_file}: not a netspec sweep", hint=HINT)
        return meta

    def lock(self) -> locks.Lock:
        """Own the sweep (its study, its outputs) until released or this process ends."""
        return locks.acquire(self.lock_file, f"sweep {self.path}")


def trial_name(number: int) -> str:
    return f"trial-{number:03d}"


def create(spec, overrides: list[str], root=RUNS_ROOT) -> SweepFolder:
    """A new, marked sweep folder runs/<spec name>/sweeps/<timestamp>[-N] recording what it
    sweeps (`spec`: the loaded Spec; `overrides`: its --set values)."""
    parent = Path(root) / spec.name
    for _ in range(100):
        path = next_run_path(SWEEPS, root=parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir()  # fails if taken: two sweeps started in the same second never share
        except FileExistsError:
            continue
        outputs.mark(path, KIND)
        folder = SweepFolder(path)
        files.write_json(
            folder.meta_file,
            {
                "spec": str(spec.path.resolve()),
                "overrides": list(overrides),
                "spec_hash": spec.hash,
                "cwd": os.getcwd(),
                "created_at": _now(),
                "netspec_version": netspec.__version__,
            },
        )
        return folder
    raise UserError(f"cannot create a sweep folder under {parent / SWEEPS}")


def open_folder(path) -> SweepFolder:
    """The sweep at `path`; an error unless netspec made it (its marker and sweep.json)."""
    path = Path(path)
    if not path.is_dir():
        what = "no such sweep folder" if not path.exists() else "not a folder"
        raise UsageError(f"{path}: {what}", hint=HINT)
    if outputs.marker_kind(path) != KIND or not (path / "sweep.json").is_file():
        raise UsageError(f"{path} is not a sweep folder (no sweep marker or sweep.json)", hint=HINT)
    return SweepFolder(path)


def _now() -> str:
    from netspec.runs.manifest import now

    return now()
