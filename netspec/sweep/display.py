"""What a sweep shows while it runs: a live table of its trials on a terminal (rich), one plain
line per trial event otherwise (CI logs, pipes), nothing with --quiet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from netspec.sweep.study import COMPLETE, FAILED, PRUNED, RUNNING, TrialRecord

ROWS = 30  # trials shown in the live table (the latest)


def number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def settings(params: dict) -> str:
    return "  ".join(f"{key}={number(value)}" for key, value in params.items())


class Display:
    """Says nothing (--quiet)."""

    def begin(self, records: list[TrialRecord]) -> None:
        pass

    def started(self, record: TrialRecord, epochs: int, resumed: bool) -> None:
        pass

    def epoch(self, trial: int, epoch: int, epochs: int, value: float) -> None:
        pass

    def finished(self, record: TrialRecord, best: TrialRecord | None) -> None:
        pass

    def close(self) -> None:
        pass


class PlainDisplay(Display):
    def __init__(self, stream: TextIO, sweep: dict, folder: Path):
        self.stream, self.sweep, self.folder = stream, sweep, folder

    def say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def begin(self, records: list[TrialRecord]) -> None:
        done = sum(r.state != RUNNING for r in records)
        again = f", continuing after {done} finished" if records else ""
        self.say(
            f"sweep {self.folder}: {self.sweep['trials']} trials, {self.sweep['parallel']} at "
            f"a time, {self.sweep['sampler']} sampler, {self.sweep['goal']} "
            f"{self.sweep['metric']}{again}"
        )

    def started(self, record: TrialRecord, epochs: int, resumed: bool) -> None:
        what = "resumed" if resumed else "started"
        self.say(f"trial {record.number} {what}: {settings(record.params)}")

    def finished(self, record: TrialRecord, best: TrialRecord | None) -> None:
        self.say(f"trial {record.number} {_outcome(record, self.sweep)}{_best(best, self.sweep)}")


def _outcome(record: TrialRecord, sweep: dict) -> str:
    seconds = record.attrs.get("seconds")
    took = f" ({seconds:.1f}s)" if seconds is not None else ""
    if record.state == COMPLETE:
        return f"complete: {sweep['metric']} {record.value:.4f}{took}"
    if record.state == PRUNED:
        last = max(record.intermediate, default=0)
        return f"pruned after epoch {last}{took}"
    return f"failed: {record.attrs.get('error', 'unknown reason')}"


def _best(best: TrialRecord | None, sweep: dict) -> str:
    return f"; best: trial {best.number}, {best.value:.4f}" if best else ""


class LiveDisplay(Display):
    """A table of the trials, redrawn as they start, report epochs and finish."""

    def __init__(self, stream: TextIO, sweep: dict, folder: Path):
        from rich.console import Console
        from rich.live import Live

        self.sweep, self.folder = sweep, folder
        self.rows: dict[int, dict] = {}
        self.best: int | None = None
        self.live = Live(
            self._table(), console=Console(file=stream), refresh_per_second=4, transient=False
        )
        self.live.start()

    def begin(self, records: list[TrialRecord]) -> None:
        for record in records:
            self._record(record)
        self._refresh()

    def started(self, record: TrialRecord, epochs: int, resumed: bool) -> None:
        self._record(record)
        self.rows[record.number].update(epochs=epochs, state="resumed" if resumed else RUNNING)
        self._refresh()

    def epoch(self, trial: int, epoch: int, epochs: int, value: float) -> None:
        self.rows[trial].update(epoch=epoch, value=value)
        self._refresh()

    def finished(self, record: TrialRecord, best: TrialRecord | None) -> None:
        self._record(record)
        self.best = best.number if best else None
        self._refresh()

    def close(self) -> None:
        self.live.stop()

    def _record(self, record: TrialRecord) -> None:
        row = self.rows.setdefault(record.number, {"epoch": max(record.intermediate, default=0)})
        row.update(
            state=record.state,
            params=record.params,
            value=record.value if record.value is not None else row.get("value"),
            seconds=record.attrs.get("seconds"),
            error=record.attrs.get("error"),
        )

    def _refresh(self) -> None:
        self.live.update(self._table(), refresh=True)

    def _table(self):
        from rich.table import Table

        done = sum(row["state"] not in (RUNNING, "resumed") for row in self.rows.values())
        table = Table(
            title=f"sweep {self.folder}: {done}/{self.sweep['trials']} trials",
            title_justify="left",
        )
        keys = list(self.sweep["parameters"])
        for column in ("trial", "state", self.sweep["metric"], *keys, "epoch", "seconds"):
            table.add_column(column, justify="left" if column == "state" else "right")
        numbers = sorted(self.rows)
        if len(numbers) > ROWS:
            table.caption = f"(and {len(numbers) - ROWS} earlier trials: trials.csv)"
        for n in numbers[-ROWS:]:
            row = self.rows[n]
            state = row["state"]
            if state == FAILED and row.get("error"):
                state = f"failed: {row['error'][:60]}"
            epoch = f"{row['epoch']}/{row['epochs']}" if row.get("epochs") else ""
            table.add_row(
                str(n),
                state,
                "" if row.get("value") is None else f"{row['value']:.4f}",
                *(number(row["params"].get(key, "")) for key in keys),
                epoch,
                "" if row.get("seconds") is None else f"{row['seconds']:.1f}",
                style="bold green" if n == self.best else ("dim" if state != COMPLETE else None),
            )
        return table


def make_display(quiet: bool, sweep: dict, folder: Path, stream: TextIO | None = None) -> Display:
    stream = stream or sys.stdout
    if quiet:
        return Display()
    return (
        LiveDisplay(stream, sweep, folder)
        if stream.isatty()
        else PlainDisplay(stream, sweep, folder)
    )
