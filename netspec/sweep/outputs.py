"""What a sweep leaves besides its trials: trials.csv, best.yaml and report.png, each rewritten
whole and atomically (netspec.files) after every finished trial."""

from __future__ import annotations

import csv
import io
import json

import yaml

from netspec import files
from netspec.runs import open_run
from netspec.sweep.directory import SweepFolder, trial_name
from netspec.sweep.study import COMPLETE, PRUNED, TrialRecord


def best(records: list[TrialRecord], sweep: dict) -> TrialRecord | None:
    """The completed trial with the best metric (the first of equals)."""
    done = [r for r in records if r.state == COMPLETE and r.value is not None]
    if not done:
        return None
    sign = -1 if sweep["goal"] == "max" else 1
    return min(done, key=lambda r: (sign * r.value, r.number))


def write_trials(folder: SweepFolder, sweep: dict, records: list[TrialRecord]) -> None:
    """trials.csv: number, state, the metric, each parameter, run, seconds, error. Numbers are
    written in full (a float reads back as the same float)."""
    keys = list(sweep["parameters"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["number", "state", sweep["metric"], *keys, "run", "seconds", "error"])
    for record in sorted(records, key=lambda r: r.number):
        run = trial_name(record.number)
        seconds = record.attrs.get("seconds")
        writer.writerow(
            [
                record.number,
                record.state,
                _cell(record.value),
                *(_cell(record.params.get(key)) for key in keys),
                run if folder.trial_dir(record.number).is_dir() else "",
                "" if seconds is None else f"{seconds:.1f}",
                record.attrs.get("error", ""),
            ]
        )
    files.write_text(folder.trials_file, buffer.getvalue())


def _cell(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def write_best(folder: SweepFolder, sweep: dict, record: TrialRecord) -> None:
    """best.yaml: the best trial's resolved spec (its run's spec.yaml) without `sweep`, which
    `netspec train best.yaml` trains as it is."""
    spec = open_run(folder.trial_dir(record.number)).spec()
    doc = {key: value for key, value in spec.doc.items() if key != "sweep"}
    shown = ", ".join(f"{k}={_cell(v)}" for k, v in record.params.items())
    header = (
        f"# The best trial of sweep {folder.path}: {trial_name(record.number)}, "
        f"{sweep['metric']} {record.value:.6g}\n"
        f"# ({shown}).\n"
        f"# Train it again: netspec train {folder.best_file}\n"
    )
    files.write_text(folder.best_file, header + yaml.safe_dump(doc, sort_keys=False))


def draw_report(folder: SweepFolder, name: str, sweep: dict, records: list[TrialRecord]) -> None:
    """report.png: the metric against each parameter (completed trials filled, pruned ones
    hollow at their last epoch's value), and the best so far by trial number."""
    from netspec.train.figures import new_figure, save_png

    keys = list(sweep["parameters"])
    shown = [r for r in records if r.state in (COMPLETE, PRUNED) and r.value is not None]
    top = best(records, sweep)
    panels = len(keys) + 1
    columns = min(panels, 3)
    rows = -(-panels // columns)
    figure = new_figure(figsize=(4.2 * columns, 3.4 * rows))
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, key in zip(axes, keys):
        _parameter_panel(ax, key, sweep["parameters"][key], shown, top, sweep["metric"])
    _progress_panel(axes[len(keys)], sweep, shown)
    for ax in axes[panels:]:
        ax.set_visible(False)
    figure.suptitle(f"{name}: sweep {folder.path.name}, {sweep['metric']} ({sweep['goal']})")
    save_png(figure, folder.report_file)


def _parameter_panel(ax, key: str, space: dict, shown, top, metric: str) -> None:
    if space["type"] == "choice":
        labels = [_cell(v) for v in space["values"]]
        position = {label: i for i, label in enumerate(labels)}
        x = lambda r: position[_cell(r.params[key])]  # noqa: E731
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlim(-0.5, len(labels) - 0.5)
    else:
        x = lambda r: r.params[key]  # noqa: E731
        if space["type"] == "float" and space["log"]:
            ax.set_xscale("log")
    styles = ((COMPLETE, {"color": "C0"}), (PRUNED, {"facecolors": "none", "edgecolors": "C0"}))
    for state, style in styles:
        points = [(x(r), r.value) for r in shown if r.state == state and key in r.params]
        if points:
            ax.scatter(*zip(*points), s=24, label=state, **style)
    if top is not None and key in top.params:
        ax.scatter([x(top)], [top.value], s=120, marker="*", color="C3", label="best", zorder=3)
    ax.set_xlabel(key)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)


def _progress_panel(ax, sweep: dict, shown) -> None:
    done = sorted((r for r in shown if r.state == COMPLETE), key=lambda r: r.number)
    if done:
        ax.scatter([r.number for r in done], [r.value for r in done], s=18, color="C0")
        pick = max if sweep["goal"] == "max" else min
        so_far, current = [], None
        for r in done:
            current = r.value if current is None else pick(current, r.value)
            so_far.append(current)
        ax.step([r.number for r in done], so_far, where="post", color="C3", label="best so far")
        ax.legend(fontsize="small")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("trial")
    ax.set_ylabel(sweep["metric"])
    ax.grid(alpha=0.3)
