"""Everything Optuna: the study in study.sqlite, the spaces as distributions, the sampler and
the pruner, and the trials' states.

Only the sweep's own process opens the study: trials are child processes that report through
their run directories, so SQLite never has two writers. Suggestions are reproducible: before
each `ask` the sampler is made anew, seeded from (sweep seed, trial number), so trial n of a
resumed sweep gets what trial n of an uninterrupted one got: with the random sampler whatever
else happened; with tpe given the same finished trials (as in a sequential sweep). The grid
sampler keeps the sweep's seed (it shuffles the grid by it and gives trial n point n), so each
point is tried once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from netspec.spec.sweep import grid_values

NAME = "netspec"  # the study's name in its own file
COMPLETE, PRUNED, FAILED, RUNNING = "complete", "pruned", "failed", "running"


@dataclass(frozen=True)
class TrialRecord:
    """A trial as the study holds it, in netspec's words."""

    number: int
    state: str  # complete, pruned, failed, running (waiting: running)
    value: float | None
    params: dict
    intermediate: dict[int, float]  # epoch -> metric
    attrs: dict  # seconds, error
    started: object  # datetime
    finished: object  # datetime | None


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def trial_seed(seed: int, number: int) -> int:
    """The sampler's seed for trial `number` of a sweep seeded `seed`."""
    digest = hashlib.sha256(f"netspec-sweep:{seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class Study:
    def __init__(self, path: Path, sweep: dict):
        """The study in the file at `path`, created if it is not there yet (also when the
        sweep was stopped before it made it)."""
        optuna = _optuna()
        self.sweep = sweep
        pruner = optuna.pruners.MedianPruner() if sweep["pruner"] == "median" else None
        self._study = optuna.create_study(
            storage=f"sqlite:///{Path(path).resolve()}",
            study_name=NAME,
            direction="maximize" if sweep["goal"] == "max" else "minimize",
            pruner=pruner or optuna.pruners.NopPruner(),
            load_if_exists=True,
        )
        self._distributions = {
            key: _distribution(optuna, space) for key, space in sweep["parameters"].items()
        }
        self._trials = {}  # number -> optuna Trial, to report to

    def records(self) -> list[TrialRecord]:
        return [_record(t) for t in self._study.get_trials(deepcopy=False)]

    def ask(self) -> TrialRecord:
        """A new trial with its parameters."""
        number = len(self._study.get_trials(deepcopy=False))  # the next trial's number
        self._study.sampler = self._sampler(trial_seed(self.sweep["seed"], number))
        trial = self._study.ask(self._distributions)
        if trial.number != number:
            raise RuntimeError(f"bug: expected trial {number}, the study made {trial.number}")
        self._trials[number] = trial
        return self.record(number)

    def record(self, number: int) -> TrialRecord:
        return _record(self._study.get_trials(deepcopy=False)[number])

    def report(self, number: int, epoch: int, value: float) -> bool:
        """Record the metric after `epoch`; whether the pruner says to stop the trial."""
        trial = self._trial(number)
        trial.report(value, epoch)
        return trial.should_prune()

    def complete(self, number: int, value: float, **attrs) -> None:
        self._tell(number, attrs, values=value)

    def prune(self, number: int, **attrs) -> None:
        self._tell(number, attrs, state=_optuna().trial.TrialState.PRUNED)

    def fail(self, number: int, error: str, **attrs) -> None:
        self._tell(number, {"error": error, **attrs}, state=_optuna().trial.TrialState.FAIL)

    def _tell(self, number: int, attrs: dict, **outcome) -> None:
        self._set(number, attrs)
        # Samplers act when asked. GridSampler's after_trial would stop the study once the
        # grid is covered, which Optuna allows only inside study.optimize; the number of
        # trials is ours to count, so the sampler told is one that does nothing then.
        self._study.sampler = _optuna().samplers.RandomSampler(seed=0)
        self._study.tell(number, **outcome)

    def set_attrs(self, number: int, **attrs) -> None:
        self._set(number, attrs)

    def _set(self, number: int, attrs: dict) -> None:
        trial = self._trial(number)
        for key, value in attrs.items():
            trial.set_user_attr(key, value)

    def _trial(self, number: int):
        if number not in self._trials:  # one left running by an earlier process
            optuna = _optuna()
            frozen = self._study.get_trials(deepcopy=False)[number]
            self._trials[number] = optuna.trial.Trial(self._study, frozen._trial_id)
        return self._trials[number]

    def _sampler(self, seed: int):
        samplers = _optuna().samplers
        kind = self.sweep["sampler"]
        if kind == "grid":  # it shuffles the grid by its seed, then takes point n for trial n
            space = {k: grid_values(s) for k, s in self.sweep["parameters"].items()}
            return samplers.GridSampler(space, seed=self.sweep["seed"])
        if kind == "random":
            return samplers.RandomSampler(seed=seed)
        return samplers.TPESampler(seed=seed)


def _distribution(optuna, space: dict):
    d = optuna.distributions
    if space["type"] == "float":
        return d.FloatDistribution(space["low"], space["high"], log=space["log"])
    if space["type"] == "int":
        return d.IntDistribution(space["low"], space["high"], step=space["step"])
    return d.CategoricalDistribution(space["values"])


def _record(frozen) -> TrialRecord:
    state = {
        "COMPLETE": COMPLETE,
        "PRUNED": PRUNED,
        "FAIL": FAILED,
    }.get(frozen.state.name, RUNNING)
    return TrialRecord(
        frozen.number,
        state,
        frozen.value if frozen.values else None,
        dict(frozen.params),
        dict(frozen.intermediate_values),
        dict(frozen.user_attrs),
        frozen.datetime_start,
        frozen.datetime_complete,
    )
