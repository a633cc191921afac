"""Progress output: rich bars on a terminal, one plain line per epoch otherwise."""

from __future__ import annotations

import io

from netspec.train.progress import PlainReporter, Reporter, RichReporter, make_reporter

ROW = {
    "epoch": 2,
    "loss": 0.23456,
    "accuracy": 0.91234,
    "val_loss": 0.2,
    "val_accuracy": 0.93,
    "learning_rate": 0.0021234,
    "seconds": 1.234,
}


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    reporter = make_reporter(quiet=False, stream=stream)
    assert isinstance(reporter, PlainReporter) and not reporter.live
    reporter.start_epoch(2, 10, 40)
    reporter.end_epoch(ROW, 10)
    assert stream.getvalue() == (
        "epoch 2/10  loss 0.2346  accuracy 0.9123  val_loss 0.2000  "
        "val_accuracy 0.9300  lr 0.00212  1.2s\n"
    )


def test_rich_bar_on_a_terminal():
    stream = Terminal()
    reporter = make_reporter(quiet=False, stream=stream)
    assert isinstance(reporter, RichReporter) and reporter.live
    reporter.start_epoch(2, 10, 40)
    reporter.update(20, {"loss": 0.3, "accuracy": 0.9, "learning_rate": 0.002})
    reporter.progress.refresh()  # the live display redraws 10 times a second on its own
    live = stream.getvalue()
    assert "epoch 2/10" in live and "20/40" in live and "loss 0.3000  acc 0.9000  lr 0.002" in live
    reporter.end_epoch(ROW, 10)
    reporter.close()
    assert (
        "epoch 2/10  loss 0.2346  accuracy 0.9123  val_loss 0.2000  val_accuracy 0.9300  "
        "lr 0.00212  1.2s\n"
    ) in stream.getvalue()


def test_quiet_says_nothing():
    reporter = make_reporter(quiet=True, stream=Terminal())
    assert type(reporter) is Reporter
