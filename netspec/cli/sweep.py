"""`netspec sweep SPEC [--set k=v]... [--quiet]` and `netspec sweep --resume DIR`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from netspec.cli.common import Overrides, SetOption
from netspec.errors import UsageError, UserError


def sweep(
    target: Path | None = typer.Argument(
        None, metavar="SPEC", help="A spec with a `sweep:` section."
    ),
    overrides: Overrides = SetOption,
    resume: Path | None = typer.Option(
        None,
        "--resume",
        metavar="DIR",
        help="Continue a sweep stopped by Ctrl-C, SIGTERM or kill -9 (its folder).",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress; print only the sweep's folder."
    ),
) -> None:
    """Search the spec's `sweep:` parameters, each trial a run of its own.

    Writes runs/<name>/sweeps/<YYYYmmdd-HHMMSS>/: trial runs, trials.csv, best.yaml, report.png.
    Ctrl-C or SIGTERM stops the running trials; they keep their last checkpoints (exit 130, 143).
    Continue a stopped or killed sweep: netspec sweep --resume DIR
    """
    if resume is not None and (target is not None or overrides):
        raise UsageError(
            "--resume takes the sweep's folder only: a sweep continues with the spec and "
            "--set values it started with"
        )
    if resume is None and target is None:
        raise UsageError("give a spec to sweep, or --resume DIR", hint="netspec sweep SPEC")
    if target is not None and target.is_dir():
        raise UsageError(
            f"{target} is a folder, not a spec file",
            hint=f"to continue a sweep: netspec sweep --resume {target}",
        )
    from netspec.spec import load

    if target is not None:  # checked before paying for Optuna
        spec = load(target, overrides or ())
        for warning in spec.warnings:
            print(warning.render(), file=sys.stderr)
        if spec.doc["sweep"] is None:
            raise UserError(
                f"{target} has no sweep section",
                hint="add `sweep:` with the parameters to vary (see README, Sweeps)",
            )
    from netspec import sweep as sweeps

    try:
        if resume is not None:
            result = sweeps.resume(resume, quiet=quiet)
        else:
            result = sweeps.run(target, overrides or (), quiet=quiet)
    except sweeps.SweepInterrupted as stop:
        print(
            f"\ninterrupted: {stop.finished}/{stop.trials} trials finished; the running ones "
            f"keep their last checkpoints\n  resume with: netspec sweep --resume {stop.folder}",
            file=sys.stderr,
        )
        raise typer.Exit(128 + stop.signal) from None
    if quiet:
        print(result.folder)
    else:
        _print_result(result)
    if result.best is None:
        raise UserError(
            f"no trial of sweep {result.folder} completed",
            hint=f"see the reasons in {result.folder / 'trials.csv'} and the trials' logs in "
            f"{result.folder / 'logs'}",
        )


def _print_result(result) -> None:
    from netspec.sweep.display import settings

    states = {}
    for record in result.records:
        states[record.state] = states.get(record.state, 0) + 1
    counts = ", ".join(f"{n} {state}" for state, n in states.items())
    print(f"sweep: {result.folder} ({counts})")
    best = result.best
    if best is not None:
        print(
            f"best: trial {best.number}, {result.sweep['metric']} {best.value:.4f}  "
            f"{settings(best.params)}\n  train it: netspec train {result.folder / 'best.yaml'}"
        )
