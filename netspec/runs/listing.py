"""What `netspec runs` and `netspec compare` read back from run directories.

Only data is read: manifest.json, metrics.json and history.csv (and, for `spec_changes`, the
resolved specs the caller loaded). Nothing is imported from a run, no checkpoint is opened and
TensorFlow is never needed. A damaged run still gives a row: a manifest that cannot be read
makes its status `unreadable: <why>`, and a damaged metrics.json or history.csv leaves its
fields empty and adds a line to the row's `problems`.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from netspec.errors import UserError
from netspec.runs.directory import Run, run_paths, sweep_of
from netspec.runs.manifest import RUNNING

KILLED = "killed"  # `running` in its manifest, but no live process holds the run's lock
SPLITS = ("train", "validation", "test")


def list_runs(root, trials: bool = False) -> list[dict]:
    """A row (see `describe`) for every run under `root`, newest first; runs whose manifest
    cannot be read come last. Sweep trials only with `trials` (netspec.runs.directory)."""
    rows = [describe(Run(path)) for path in run_paths(root, trials)]
    rows.sort(key=lambda row: (row["started_at"] or "", row["path"]), reverse=True)
    return rows


def describe(run: Run) -> dict:
    """One run as JSON-ready data: where it is, how it ended, its final metrics (metrics.json),
    its best validation epoch and training time (history.csv)."""
    row = {
        "path": str(run.path),
        "name": None,
        "id": run.path.name,
        "sweep": sweep_of(run.path),
        "status": None,
        "error": None,
        "epochs_completed": None,
        "epochs": None,
        "stopped_early": None,
        "started_at": None,
        "finished_at": None,
        "seconds": None,
        "spec_hash": None,
        "final": {split: None for split in SPLITS},
        "best_val_accuracy": None,
        "best_val_loss": None,
        "problems": [],
    }
    try:
        manifest = run.manifest()
    except UserError as err:
        reason = err.message.replace(f"{run.manifest_file}: ", "manifest.json: ")
        return {**row, "status": f"unreadable: {_why(reason)}"}
    spec = manifest["spec"]
    status = _text(manifest.get("status")) or "unknown"
    if status == RUNNING and _held(run) is False:
        status = KILLED
    row.update(
        name=_text(spec.get("name")),
        status=status,
        error=_text(manifest.get("error")),
        epochs_completed=_count(manifest.get("epochs_completed")),
        epochs=_count(manifest.get("epochs")),
        stopped_early=manifest.get("stopped_early") is not None,
        started_at=_text(manifest.get("started_at")),
        finished_at=_text(manifest.get("finished_at")),
        spec_hash=_text(spec.get("hash")),
    )
    metrics = _read_json(run.metrics_file, row["problems"])
    if isinstance(metrics, dict):
        for split in SPLITS:
            values = metrics.get(split)
            if isinstance(values, dict):
                row["final"][split] = {
                    key: _number(values.get(key)) for key in ("loss", "accuracy")
                }
    history = read_history(run, row["problems"])
    if history:
        seconds = [epoch["seconds"] for epoch in history if epoch.get("seconds") is not None]
        row["seconds"] = round(sum(seconds), 3) if seconds else None
        row["best_val_accuracy"] = _best(history, "val_accuracy", max)
        row["best_val_loss"] = _best(history, "val_loss", min)
    return row


def read_history(run: Run, problems: list[str] | None = None) -> list[dict]:
    """history.csv's rows, numbers as floats (`epoch` an int); [] if there is none. A damaged
    file gives the rows read before the damage, and a line in `problems`."""
    rows: list[dict] = []
    try:
        with open(run.history_file, newline="") as f:
            for line, raw in enumerate(csv.DictReader(f), start=2):
                epoch = _number(_float(raw.get("epoch")))
                if epoch is None or None in raw:
                    raise ValueError(f"line {line} is not an epoch's row")
                values = {key: _number(_float(value)) for key, value in raw.items()}
                rows.append({**values, "epoch": int(epoch)})
    except FileNotFoundError:
        pass
    except (OSError, ValueError, csv.Error) as err:
        if problems is not None:
            problems.append(f"history.csv: {_why(err)}")
    return rows


def _read_json(path: Path, problems: list[str]):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        problems.append(f"{path.name}: {_why(err)}")
        return None


def _held(run: Run) -> bool | None:
    """Whether a live process trains `run`; None if its lock file cannot be read."""
    try:
        return run.is_active()
    except OSError:
        return None


def _why(err) -> str:
    """An error (or a message) as one line, without the path the caller already names."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return " ".join(str(err).split()) or type(err).__name__


def _best(history: list[dict], key: str, pick) -> dict | None:
    points = [(row[key], row["epoch"]) for row in history if row.get(key) is not None]
    if not points:
        return None
    value = pick(value for value, _ in points)
    return {"value": value, "epoch": next(epoch for v, epoch in points if v == value)}


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _number(value) -> float | None:
    """A finite number as a float, else None (JSON may hold anything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


# --- spec differences -------------------------------------------------------------------

ABSENT = object()  # what a spec lacks: a setting, or a layer
_SAME = object()  # not in a diff: the value the first spec has


@dataclass(frozen=True)
class Change:
    """A key path (`train.epochs`, `layers.fc1.units`) whose value differs between specs: one
    value per spec, ABSENT where a spec lacks it."""

    path: str
    values: tuple

    def render(self) -> str:
        return f"{self.path}: " + " → ".join(show(value) for value in self.values)


def spec_changes(specs: list) -> list[Change]:
    """Where loaded specs (netspec.spec.Spec) differ, as flattened key paths, one value each.

    The differences are netspec.spec.diff's (the structural `netspec diff`), of each spec
    against the first: layers by full name (`layers.fc1.units`, `layers.stage2_1/conv_a.kernel`;
    a layer only some specs have shows its type, `layers.fc2: (absent) → dense`), then the
    other sections (`train.epochs`). Variable shapes are left out: they follow from the fields.
    """
    from netspec.spec.diff import diff

    first, found = specs[0], {}  # path -> (layer it belongs to or None, values)
    for k, other in enumerate(specs[1:], start=1):
        for path, layer, a, b in _pairs(diff(first, other)):
            values = found.setdefault(path, (layer, [a] + [_SAME] * (len(specs) - 1)))[1]
            values[k] = b
    changes = []
    for path, (layer, values) in found.items():
        for k, spec in enumerate(specs):
            if values[k] is _SAME:
                lacks = layer is not None and layer not in {n.name for n in spec.graph.nodes()}
                values[k] = ABSENT if lacks else values[0]
        changes.append(Change(path, tuple(values)))
    return changes


def _pairs(d) -> Iterator[tuple[str, str | None, object, object]]:
    """(path, the layer a field belongs to, value in A, value in B) of a SpecDiff."""
    from netspec.spec import diff

    def ours(value):
        return ABSENT if value is diff.ABSENT else value

    for layer in d.removed:
        yield f"layers.{layer.name}", None, layer.type, ABSENT
    for layer in d.added:
        yield f"layers.{layer.name}", None, ABSENT, layer.type
    for change in d.changed:
        for field in change.fields:
            path = f"layers.{change.name}.{field.path}"
            yield path, change.name, ours(field.a), ours(field.b)
    for change in d.sections:
        yield change.path, None, ours(change.a), ours(change.b)


def show(value, width: int = 60) -> str:
    """A value as it would read in YAML flow style, cut to `width` characters."""
    if value is ABSENT:
        return "(absent)"
    if isinstance(value, str) and value and value.strip() == value and ":" not in value:
        text = value
    else:
        text = json.dumps(value, separators=(", ", ": "), ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
