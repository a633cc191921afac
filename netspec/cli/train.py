"""`netspec train SPEC [--set k=v]... [--out DIR] [--quiet]` and `netspec train --resume RUN`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from netspec.cli.common import Overrides, SetOption
from netspec.errors import UsageError


def train(
    target: Path = typer.Argument(
        ...,
        metavar="SPEC|RUN",
        help="A spec file; with --resume, a run directory or a spec "
        "(then its latest unfinished run under runs/).",
    ),
    overrides: Overrides = SetOption,
    out: Path | None = typer.Option(
        None, "--out", help="Run directory to create (default: runs/<spec name>/<YYYYmmdd-HHMMSS>)."
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue an interrupted or killed run from its last completed epoch.",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress; print only the run directory."
    ),
) -> None:
    """Train a spec into a run directory: checkpoints, metrics, history, curves, TensorBoard.

    Ctrl-C or SIGTERM keeps the last completed epoch (exit 130 or 143).
    Continue a stopped or killed run: netspec train --resume RUN
    (netspec train SPEC --resume: the spec's latest unfinished run under runs/).
    """
    from netspec.runs import is_run_dir, open_run

    if resume and overrides:
        raise UsageError(
            "--set cannot be combined with --resume: a run continues with the spec it started with"
        )
    if resume and out is not None:
        raise UsageError("--out cannot be combined with --resume: a run continues in place")
    if target.is_dir() and not resume:
        if is_run_dir(target):
            raise UsageError(
                f"{target} is a run directory",
                hint=f"to continue it: netspec train --resume {target}",
            )
        raise UsageError(f"{target} is a folder, not a spec file", hint="give a .yaml spec")
    # Check the spec or run before paying for TensorFlow.
    if resume and target.is_dir():
        run = open_run(target)
        run.spec()
        arguments = {"resume": run}
    else:
        from netspec.spec import load

        spec = load(target, overrides or ())
        for warning in spec.warnings:
            print(warning.render(), file=sys.stderr)
        arguments = {"spec": spec, "out": out, "resume": resume}
    from netspec.train.session import train as run_training
    from netspec.train.stopping import TrainingInterrupted, signal_of

    try:
        run_dir = run_training(quiet=quiet, **arguments)
    except TrainingInterrupted as stop:
        print(
            f"\ninterrupted: {stop.run_dir} keeps epoch {stop.epochs_completed}/{stop.epochs}"
            f"\n  resume with: netspec train --resume {stop.run_dir}",
            file=sys.stderr,
        )
        raise typer.Exit(128 + stop.signal) from None
    except KeyboardInterrupt as interrupt:  # before training started: nothing to add
        print("\ninterrupted", file=sys.stderr)
        raise typer.Exit(128 + signal_of(interrupt)) from None
    if quiet:
        print(run_dir)
        return
    _print_result(run_dir)


def _print_result(run_dir: Path) -> None:
    import json

    metrics = json.loads((run_dir / "metrics.json").read_text())
    scores = "  ".join(
        f"{split} accuracy {metrics[split]['accuracy']:.4f}"
        for split in ("train", "validation", "test")
        if split in metrics
    )
    print(f"run: {run_dir}\n{scores}")
