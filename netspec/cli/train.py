"""`netspec train SPEC [--set k=v]... [--out DIR] [--init-from RUN] [--devices D] [--workers N]
[--quiet]` and `netspec train --resume RUN`."""

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
        help="Continue an interrupted or killed run from its last checkpoint.",
    ),
    init_from: Path | None = typer.Option(
        None,
        "--init-from",
        metavar="RUN",
        help="Warm-start from a completed run: load every variable of RUN that fits this "
        "spec by name and shape (the plan `netspec diff RUN SPEC` shows), instead of the "
        "spec's own init_from.",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress; print only the run directory."
    ),
    devices: str = typer.Option(
        "auto",
        "--devices",
        help="This host's devices, data-parallel: auto (every GPU, else the CPU), cpu, gpu, "
        "N (N GPUs; N logical CPU devices on a host without GPUs) or gpu:0,1.",
    ),
    workers: int = typer.Option(
        0,
        "--workers",
        min=0,
        help="Start N local worker processes of one multi-worker job (TF_CONFIG on free "
        "127.0.0.1 ports); on a cluster, start one `netspec train` per worker with its "
        "TF_CONFIG instead.",
    ),
) -> None:
    """Train a spec into a run directory: checkpoints, metrics, history, curves, TensorBoard.

    Ctrl-C or SIGTERM keeps the last checkpoint (exit 130 or 143).
    Continue a stopped or killed run: netspec train --resume RUN
    (netspec train SPEC --resume: the spec's latest unfinished run under runs/).
    A TF_CONFIG in the environment makes this process one worker of a multi-worker job.
    """
    from netspec.runs import is_run_dir, open_run

    if resume and overrides:
        raise UsageError(
            "--set cannot be combined with --resume: a run continues with the spec it started with"
        )
    if resume and out is not None:
        raise UsageError("--out cannot be combined with --resume: a run continues in place")
    if resume and init_from is not None:
        raise UsageError(
            "--init-from cannot be combined with --resume: a run continues with the weights it has"
        )
    if target.is_dir() and not resume:
        if is_run_dir(target):
            raise UsageError(
                f"{target} is a run directory",
                hint=f"to continue it: netspec train --resume {target}",
            )
        raise UsageError(f"{target} is a folder, not a spec file", hint="give a .yaml spec")
    from netspec.train.topology import parse_devices

    parse_devices(devices)
    # Check the spec or run before paying for TensorFlow.
    if resume and target.is_dir():
        run = open_run(target)
        run.spec()
        arguments = {"resume": run}
    else:
        from netspec.spec import load

        spec = load(target, overrides or ())
        if init_from is not None:
            overrides = [*(overrides or ()), _warm_start(init_from, spec, quiet)]
            spec = load(target, overrides)
        for warning in spec.warnings:
            print(warning.render(), file=sys.stderr)
        arguments = {"spec": spec, "out": out, "resume": resume}
    if workers:
        from netspec.runs.directory import next_run_path

        if not resume and out is None:
            out = next_run_path(arguments["spec"].name)
        worker_argv = [str(target), *(f"--set={o}" for o in overrides or ())]
        worker_argv += ["--resume"] if resume else ["--out", str(out)]
        _launch_workers(
            [*worker_argv, "--devices", devices, *(["--quiet"] if quiet else [])], workers
        )
        return
    from netspec.train.session import train as run_training
    from netspec.train.stopping import TrainingInterrupted, signal_of

    try:
        run_dir = run_training(quiet=quiet, devices=devices, **arguments)
    except TrainingInterrupted as stop:
        where = stop.run_dir or "the chief's run"
        print(
            f"\ninterrupted: {where} keeps its last checkpoint (epoch "
            f"{stop.epochs_completed}/{stop.epochs} completed)"
            f"\n  resume with: netspec train --resume {where}",
            file=sys.stderr,
        )
        raise typer.Exit(128 + stop.signal) from None
    except KeyboardInterrupt as interrupt:  # before training started: nothing to add
        print("\ninterrupted", file=sys.stderr)
        raise typer.Exit(128 + signal_of(interrupt)) from None
    if run_dir is None:  # a worker other than the chief
        print("worker done; the chief (worker 0) wrote the run", file=sys.stderr)
        return
    if quiet:
        print(run_dir)
        return
    _print_result(run_dir)


def _warm_start(run: Path, spec, quiet: bool) -> str:
    """The `--set` override giving `spec` the init_from section that loads every variable of
    `run` that fits it (netspec.train.finetune.warm_start); says what transfers on stderr."""
    import json

    from netspec.spec.diff import transfer_summary
    from netspec.train.finetune import warm_start

    plan, section = warm_start(run, spec)
    if not quiet:
        print(f"init_from {run}: {transfer_summary(plan)}", file=sys.stderr)
        for note in plan.notes:
            print(f"warning: {note.message}\n  hint: {note.hint}", file=sys.stderr)
    return "init_from=" + json.dumps(section)


def _launch_workers(argv: list[str], workers: int) -> None:
    """`netspec train ARGV` as `workers` local processes of one job (netspec.train.launcher).

    The workers other than the chief log to a temporary folder (kept, and named, if one
    fails), or to $NETSPEC_WORKER_DIR, where they also leave their final weights."""
    import os
    import shutil
    import tempfile

    from netspec.train.launcher import WORKER_DIR, launch

    if os.environ.get("TF_CONFIG"):
        raise UsageError(
            "--workers starts its own cluster, but TF_CONFIG is set: this process is "
            "already one worker of a job",
            hint="unset TF_CONFIG, or run without --workers",
        )
    given = os.environ.get(WORKER_DIR)
    if given and Path(given).exists() and (not Path(given).is_dir() or any(Path(given).iterdir())):
        raise UsageError(
            f"${WORKER_DIR} is {given}, which is not an empty folder",
            hint="the workers' logs and weights go to a new or empty folder; "
            "netspec replaces nothing there",
        )
    log_dir = Path(given) if given else Path(tempfile.mkdtemp(prefix="netspec-workers-"))
    command = [sys.executable, "-m", "netspec", "train", *argv]
    code = launch(command, workers, log_dir=log_dir)
    if code == 0 and not given:
        shutil.rmtree(log_dir, ignore_errors=True)
    if code:
        raise typer.Exit(code)


def _print_result(run_dir: Path) -> None:
    import json

    metrics = json.loads((run_dir / "metrics.json").read_text())
    scores = "  ".join(
        f"{split} accuracy {metrics[split]['accuracy']:.4f}"
        for split in ("train", "validation", "test")
        if split in metrics
    )
    print(f"run: {run_dir}\n{scores}")
