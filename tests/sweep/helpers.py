"""The sweep tests' spec and readers: the shipped specs/mlp.yaml with a validation split and
one epoch on 1,000 digits per trial, so a trial is mostly its process starting."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

from tests.helpers import start_netspec, write_spec

MLP = Path(__file__).resolve().parents[2] / "specs" / "mlp.yaml"
SPEC = {
    "extends": str(MLP),
    "name": "tiny",
    "train": {"epochs": 1},
    "data": {"split": {"train": 1000, "validation": 500, "test": 500}},
    "sweep": {
        "metric": "val_accuracy",
        "trials": 6,
        "sampler": "random",
        "parallel": 2,
        "seed": 1,
        "parameters": {
            "train.learning_rate": {"type": "float", "low": 0.001, "high": 0.03, "log": True},
            "layers.hidden.units": {"type": "choice", "values": [8, 16, 32]},
        },
    },
}


def sweep_spec(folder: Path, **sections) -> Path:
    return write_spec(folder, SPEC, "tiny", **sections)


def only_sweep(cwd: Path, name: str = "tiny") -> Path:
    [folder] = (Path(cwd) / "runs" / name / "sweeps").iterdir()
    return folder


def trials(folder: Path, skip=("seconds",)) -> list[dict]:
    """trials.csv's rows, without the columns that differ from one sweep to the next."""
    with open(folder / "trials.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k not in skip} for row in csv.DictReader(f)]


def manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def study(folder: Path):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name="netspec", storage=f"sqlite:///{folder / 'study.sqlite'}")


def start_sweep(*args, cwd: Path) -> subprocess.Popen:
    """`python -m netspec sweep ARGS...` in a child (tests.helpers.start_netspec)."""
    return start_netspec("sweep", *args, cwd=cwd)


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose command line holds `text` (/proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":  # a zombie has exited, its parent not yet waited
            found.append((int(entry.name), cmdline))
    return found
