"""Running a sweep: trials as child processes, pruning from their progress, stopping, resuming.

Each trial is `python -m netspec train SPEC --set ... --set sweep=null --out <trial dir>
--quiet`, an ordinary run (resumable, exportable). The sweep's process is the only one that
opens the study: it starts up to `parallel` trials, watches each one's history.csv (one row
per completed epoch, written atomically by the trial) and reports every new row's metric to
the study, and when the pruner says so it stops the trial with SIGTERM (the trial saves its
run and exits) and records it as pruned. A trial that exits 0 is told to the study with its
run's final validation metric (metrics.json); any other exit is a failed trial, with the last
error line of its log as the reason, and the sweep goes on.

Trials run in process groups of their own and die with the sweep's process (the launcher's
mechanism, netspec.train.launcher), so `kill -9` of the sweep leaves no trial training. Ctrl-C
or SIGTERM stops the running trials the way Ctrl-C stops a run (each keeps its last
checkpoint); they stay "running" in the study, and `--resume` continues each one with
`netspec train --resume` (bit for bit) before asking for new trials.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from netspec.errors import UserError
from netspec.runs import COMPLETED, RUNS_ROOT, Run, is_run_dir, open_run
from netspec.runs.listing import read_history
from netspec.spec import SpecError, load
from netspec.spec.sweep import METRICS, override
from netspec.sweep import directory, outputs
from netspec.sweep.directory import SweepFolder
from netspec.sweep.display import make_display
from netspec.sweep.study import RUNNING, Study, TrialRecord
from netspec.train.launcher import how_it_ended, in_own_group, send_signal, signals_recorded

POLL = 0.2  # seconds between looks at the trials
GRACE = 30.0  # seconds a trial gets to save its run after SIGTERM, before SIGKILL
# What a killed trial can leave in a run directory before its manifest: nothing of value.
_BEFORE_MANIFEST = {"checkpoints", "spec.yaml", "graph.svg", ".lock"}


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: the running trials were stopped and keep their last checkpoints."""

    def __init__(self, folder: Path, signum: int, finished: int, trials: int):
        super().__init__(f"sweep interrupted after {finished}/{trials} trials")
        self.folder, self.signal, self.finished, self.trials = folder, signum, finished, trials


@dataclass
class SweepResult:
    folder: Path
    sweep: dict
    records: list[TrialRecord]
    best: TrialRecord | None


def run(spec_path, overrides=(), quiet: bool = False, root=RUNS_ROOT) -> SweepResult:
    """Sweep the spec at `spec_path` (with --set `overrides`) in a new folder under
    `root`/<name>/sweeps/."""
    overrides = list(overrides)
    spec = load(spec_path, overrides)
    if spec.doc["sweep"] is None:
        raise UserError(
            f"{spec_path} has no sweep section",
            hint="add `sweep:` with the parameters to vary (see README, Sweeps)",
        )
    folder = directory.create(spec, overrides, root)
    with folder.lock():
        study = Study(folder.study_file, spec.doc["sweep"])
        return _Sweep(folder, spec, overrides, study, quiet).run()


def resume(path, quiet: bool = False) -> SweepResult:
    """Continue the sweep in `path`: trials left running are resumed, then new ones asked."""
    folder = directory.open_folder(path)
    with folder.lock():
        meta = folder.meta()
        spec = load(meta["spec"], meta.get("overrides", []))
        if spec.hash != meta.get("spec_hash"):
            moved = meta.get("cwd") and Path(meta["cwd"]).resolve() != Path.cwd().resolve()
            raise UserError(
                f"{meta['spec']} (with its --set values) changed since sweep {folder.path} started",
                hint=f"run --resume from {meta['cwd']}, where the sweep started"
                if moved
                else "a sweep continues with the spec it started with: restore it, or start "
                "a new sweep",
            )
        study = Study(folder.study_file, spec.doc["sweep"])
        return _Sweep(folder, spec, meta.get("overrides", []), study, quiet).run()


@dataclass
class _Child:
    number: int
    process: subprocess.Popen
    log: object  # the open log file
    log_offset: int  # where this session's output starts
    epochs: int  # the trial's train.epochs
    started: float = field(default_factory=time.monotonic)
    seconds_before: float = 0.0  # spent in earlier sessions
    reported: int = 0  # epochs reported to the study
    pruned_at: float | None = None  # when it was told to stop for pruning


class _Sweep:
    def __init__(self, folder: SweepFolder, spec, overrides: list[str], study: Study, quiet):
        self.folder, self.spec, self.overrides, self.study = folder, spec, overrides, study
        self.sweep = spec.doc["sweep"]
        self.metric = self.sweep["metric"]
        self.children: dict[int, _Child] = {}
        self.display = make_display(quiet, self.sweep, folder.path)
        self.best_number = None

    def run(self) -> SweepResult:
        records = self.study.records()
        pending = [r.number for r in records if r.state == RUNNING]  # left by a stopped sweep
        asked = len(records)
        self.display.begin(records)
        received: list[int] = []
        try:
            with signals_recorded(received):
                try:
                    while not received:
                        self._poll()
                        while len(self.children) < self.sweep["parallel"] and (
                            pending or asked < self.sweep["trials"]
                        ):
                            if pending:
                                self._resume_trial(pending.pop(0))
                            else:
                                self._new_trial()
                                asked += 1
                        if not self.children:
                            break
                        time.sleep(POLL)
                finally:
                    self._stop(received)
        finally:
            self.display.close()
        records = self.study.records()
        self._write(records)
        if received:
            finished = sum(r.state != RUNNING for r in records)
            raise SweepInterrupted(self.folder.path, received[0], finished, self.sweep["trials"])
        return SweepResult(self.folder.path, self.sweep, records, outputs.best(records, self.sweep))

    # -- starting trials ------------------------------------------------------------------------

    def _new_trial(self) -> None:
        record = self.study.ask()
        self._start(record)

    def _resume_trial(self, number: int) -> None:
        record = self.study.record(number)
        run_dir = self.folder.trial_dir(number)
        if not is_run_dir(run_dir):
            if run_dir.exists():
                if not _leftover(run_dir):
                    self._fail(
                        record,
                        f"{run_dir} holds files netspec did not write; the trial was not resumed",
                    )
                    return
                shutil.rmtree(run_dir)  # killed before its manifest: start it again
            self._start(record)
            return
        try:
            run = open_run(run_dir)
            status, epochs = run.manifest().get("status"), run.spec().train["epochs"]
        except UserError as err:
            self._fail(record, err.message)
            return
        if status == COMPLETED:  # finished while the sweep was being stopped
            self._finish_completed(record, record.attrs.get("seconds", 0.0))
            return
        command = ["train", "--resume", str(run_dir), "--quiet"]
        self._spawn(record, command, epochs, resumed=True)

    def _start(self, record: TrialRecord) -> None:
        """A new run of the trial: the spec with its parameters set and no sweep."""
        settings = [override(key, value) for key, value in record.params.items()]
        given = [*self.overrides, "sweep=null", *settings]
        try:  # what the trial will load: checked here in a fraction of a second
            trial_spec = load(self.spec.path, given)
        except SpecError as err:
            self._fail(record, str(err).splitlines()[0])
            return
        run_dir = self.folder.trial_dir(record.number)
        command = ["train", str(self.spec.path.resolve()), *(f"--set={o}" for o in given)]
        command += ["--out", str(run_dir.resolve()), "--quiet"]
        self._spawn(record, command, trial_spec.train["epochs"], resumed=False)

    def _spawn(self, record: TrialRecord, command: list[str], epochs: int, resumed: bool):
        self.folder.logs.mkdir(exist_ok=True)
        log = open(self.folder.log_file(record.number), "ab")  # noqa: SIM115 (closed at exit)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.sweep["parallel"] > 1:  # else the first trial takes every GPU's memory
            env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "netspec", *command],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=in_own_group(os.getpid()),
            )
        except BaseException:
            log.close()
            raise
        child = _Child(record.number, process, log, log.tell(), epochs)
        child.seconds_before = float(record.attrs.get("seconds", 0.0)) if resumed else 0.0
        child.reported = max(record.intermediate, default=0)
        self.children[record.number] = child
        self.display.started(record, epochs, resumed)

    # -- watching trials ------------------------------------------------------------------------

    def _poll(self) -> None:
        for number, child in list(self.children.items()):
            self._read_progress(child)
            code = child.process.poll()
            if code is None:
                if child.pruned_at and time.monotonic() > child.pruned_at + GRACE:
                    send_signal(child.process, signal.SIGKILL)
                continue
            del self.children[number]
            child.log.close()
            self._read_progress(child)  # its last epochs
            self._finish(child, code)

    def _read_progress(self, child: _Child) -> None:
        """Report each epoch the trial completed since the last look (history.csv); start
        stopping it when the pruner says so."""
        for epoch, value in _history(self.folder.trial_dir(child.number), self.metric):
            if epoch <= child.reported or child.pruned_at:
                continue
            child.reported = epoch
            prune = self.study.report(child.number, epoch, value)
            self.display.epoch(child.number, epoch, child.epochs, value)
            if prune and self.sweep["pruner"] != "none" and epoch < child.epochs:
                child.pruned_at = time.monotonic()
                send_signal(child.process, signal.SIGTERM)

    def _finish(self, child: _Child, code: int) -> None:
        record = self.study.record(child.number)
        seconds = round(child.seconds_before + time.monotonic() - child.started, 3)
        if child.pruned_at:
            self.study.prune(child.number, seconds=seconds)
        elif code == 0:
            self._finish_completed(record, seconds)
            return
        else:
            reason = _reason(self.folder.log_file(child.number), child.log_offset)
            self.study.fail(
                child.number, reason or f"the trial {how_it_ended(code)}", seconds=seconds
            )
        self._finished(child.number)

    def _finish_completed(self, record: TrialRecord, seconds: float) -> None:
        try:
            value = _final_metric(self.folder.trial_dir(record.number), self.metric)
        except UserError as err:
            self._fail(record, err.message, seconds=seconds)
            return
        self.study.complete(record.number, value, seconds=seconds)
        self._finished(record.number)

    def _fail(self, record: TrialRecord, reason: str, **attrs) -> None:
        self.study.fail(record.number, reason, **attrs)
        self._finished(record.number)

    def _finished(self, number: int) -> None:
        records = self.study.records()
        self.display.finished(records[number], outputs.best(records, self.sweep))
        self._write(records)

    def _write(self, records: list[TrialRecord]) -> None:
        outputs.write_trials(self.folder, self.sweep, records)
        best = outputs.best(records, self.sweep)
        if best is not None and best.number != self.best_number:
            outputs.write_best(self.folder, self.sweep, best)
            self.best_number = best.number
        if any(r.state != RUNNING for r in records):
            outputs.draw_report(self.folder, self.spec.name, self.sweep, records)

    # -- stopping -------------------------------------------------------------------------------

    def _stop(self, received: list[int]) -> None:
        """Stop every trial still running: SIGTERM (it saves its run), SIGKILL after GRACE
        seconds or at a second signal; then record what each got to."""
        if not self.children:
            return
        for child in self.children.values():
            send_signal(child.process, signal.SIGTERM)
        signals, deadline = len(received), time.monotonic() + GRACE
        while any(c.process.poll() is None for c in self.children.values()):
            if len(received) > signals or time.monotonic() > deadline:
                break
            time.sleep(POLL)
        for child in self.children.values():
            send_signal(child.process, signal.SIGKILL)
            child.process.wait()
            child.log.close()
            self._read_progress(child)
        for number, child in list(self.children.items()):
            del self.children[number]
            if child.process.returncode == 0 or child.pruned_at:
                self._finish(child, child.process.returncode)
            else:  # stays running in the study: --resume continues it
                seconds = round(child.seconds_before + time.monotonic() - child.started, 3)
                self.study.set_attrs(number, seconds=seconds)


def _history(run_dir: Path, metric: str) -> list[tuple[int, float]]:
    """(epoch, metric) of each row of a trial's history.csv (none before its first epoch)."""
    rows = read_history(Run(run_dir))
    return [(row["epoch"], row[metric]) for row in rows if row.get(metric) is not None]


def _final_metric(run_dir: Path, metric: str) -> float:
    """The metric of a completed trial: its final weights on the validation split."""
    path = run_dir / "metrics.json"
    try:
        value = json.loads(path.read_text())["validation"][METRICS[metric]]
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(f"{path} holds no validation {METRICS[metric]}") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"{metric} of the trial is {value}")
    return float(value)


def _reason(log: Path, offset: int) -> str | None:
    """Why a trial failed, in one line: the last error line of its output this session."""
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:") or ": error: " in line]
    last = errors[-1] if errors else (lines[-1] if lines else None)
    return last.removeprefix("error: ") if last else None


def _leftover(run_dir: Path) -> bool:
    """Whether a trial folder without a manifest holds only what `netspec train` writes
    before its manifest (a trial killed at its start)."""
    for entry in run_dir.iterdir():
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            continue
        if entry.name not in _BEFORE_MANIFEST:
            return False
        if entry.name == "checkpoints" and (not entry.is_dir() or any(entry.iterdir())):
            return False
    return True
