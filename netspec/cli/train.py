"""`netspec train SPEC [--set k=v]... [--out DIR] [--quiet]` and `netspec train --resume RUN`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from netspec.cli.common import Overrides, SetOption
from netspec.errors import UsageError

EXIT_INTERRUPTED = 130  # the shell's code for a process ended by Ctrl-C (128 + SIGINT)


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

    Ctrl-C keeps the last completed epoch and exits 130.
    Continue a stopped or killed run: netspec train --resume RUN
    (netspec train SPEC --resume: the spec's latest unfinished run under runs/).
    """
    from netspec.train.runs import is_run_dir

    if is_run_dir(target) and not resume:
        raise UsageError(
            f"{target} is a run directory", hint=f"to continue it: netspec train --resume {target}"
        )
    if resume and overrides:
        raise UsageError(
            "--set cannot be combined with --resume: a run continues with the spec it started with"
        )
    from netspec.spec import load
    from netspec.train.session import TrainingInterrupted
    from netspec.train.session import train as run_training

    try:
        if resume and is_run_dir(target):
            run_dir = run_training(resume=target, quiet=quiet)
        else:
            spec = load(target, overrides or ())
            for warning in spec.warnings:
                print(warning.render(), file=sys.stderr)
            run_dir = run_training(spec, out=out, resume=resume, quiet=quiet)
    except TrainingInterrupted as stop:
        print(
            f"\ninterrupted: {stop.run_dir} keeps epoch {stop.epochs_completed}/{stop.epochs}"
            f"\n  resume with: netspec train --resume {stop.run_dir}",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except KeyboardInterrupt:  # before training started (or while it ended): nothing to add
        print("\ninterrupted", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
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
