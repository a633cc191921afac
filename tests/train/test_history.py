"""history.csv columns and the early-stopping bookkeeping."""

from __future__ import annotations

import pytest

from netspec.train import history
from netspec.train.early_stopping import EarlyStopping


def test_rows_put_the_usual_columns_first():
    row = history.make_row(
        3,
        {"val_accuracy": 0.9, "accuracy": 0.8, "top5_accuracy": 1.0, "loss": 0.5, "val_loss": 0.4},
        0.001,
        1.5,
    )
    assert list(row) == [
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "learning_rate",
        "seconds",
        "top5_accuracy",
    ]


def test_csv_without_validation(tmp_path):
    rows = [history.make_row(e, {"loss": 1 / e, "accuracy": 0.5}, 0.1, 2.0) for e in (1, 2)]
    history.write_csv(tmp_path / "h.csv", rows)
    assert (tmp_path / "h.csv").read_text() == (
        "epoch,loss,accuracy,learning_rate,seconds\n1,1,0.5,0.1,2\n2,0.5,0.5,0.1,2\n"
    )


@pytest.mark.parametrize(
    "monitor, values, stops_after, best",
    [
        ("val_loss", [1.0, 0.8, 0.85, 0.9], 4, 2),
        ("val_accuracy", [0.5, 0.7, 0.7, 0.69], 4, 2),
        ("loss", [1.0, 0.9, 0.8, 0.7], None, 4),
    ],
)
def test_early_stopping(monitor, values, stops_after, best):
    stopper = EarlyStopping(monitor, patience=2, min_delta=0.0, restore_best=True)
    stopped = None
    for epoch, value in enumerate(values, 1):
        stopper.update({"epoch": epoch, monitor: value})
        if stopper.should_stop and stopped is None:
            stopped = epoch
    assert stopped == stops_after and stopper.best_epoch == best


def test_early_stopping_state_survives_a_resume():
    stopper = EarlyStopping("val_loss", patience=3, min_delta=0.01, restore_best=False)
    stopper.update({"epoch": 1, "val_loss": 1.0})
    stopper.update({"epoch": 2, "val_loss": 0.995})  # not better by min_delta
    again = EarlyStopping.from_spec(
        {"monitor": "val_loss", "patience": 3, "min_delta": 0.01, "restore_best": False},
        stopper.state(),
    )
    assert again.state() == {"best": 1.0, "best_epoch": 1, "wait": 1}
