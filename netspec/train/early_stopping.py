"""Early stopping whose state is plain data, saved in each checkpoint so --resume continues it.

(Keras' EarlyStopping callback resets itself at the start of every fit call and keeps its best
weights only in memory.)
"""

from __future__ import annotations

import math


class EarlyStopping:
    def __init__(
        self,
        monitor: str,
        patience: int,
        min_delta: float,
        restore_best: bool,
        state: dict | None = None,
    ):
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.restore_best = restore_best
        self.mode = "max" if monitor.endswith("accuracy") else "min"
        state = state or {}
        self.best = state.get("best", -math.inf if self.mode == "max" else math.inf)
        self.best_epoch = state.get("best_epoch")
        self.wait = state.get("wait", 0)

    @classmethod
    def from_spec(cls, options: dict | None, state: dict | None = None) -> EarlyStopping | None:
        if options is None:
            return None
        return cls(
            options["monitor"],
            options["patience"],
            options["min_delta"],
            options["restore_best"],
            state,
        )

    def state(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def update(self, row: dict) -> bool:
        """Record a finished epoch's history row; True if it is the best so far."""
        value = row[self.monitor]
        improved = (
            value > self.best + self.min_delta
            if self.mode == "max"
            else value < self.best - self.min_delta
        )
        if improved:
            self.best, self.best_epoch, self.wait = value, row["epoch"], 0
        else:
            self.wait += 1
        return improved

    @property
    def should_stop(self) -> bool:
        return self.wait >= self.patience
