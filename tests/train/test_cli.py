"""`netspec train`: options, and one-line errors for what the user got wrong."""

from __future__ import annotations

import pytest

from tests.train import helpers


def test_a_run_directory_needs_resume(netspec_process, reference_run):
    result = netspec_process("train", reference_run)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {reference_run} is a run directory\n"
        f"  hint: to continue it: netspec train --resume {reference_run}\n"
    )


def test_resume_does_not_take_set(netspec_process, reference_run):
    result = netspec_process("train", "--resume", reference_run, "--set", "train.epochs=9")
    assert result.returncode == 2 and "--set cannot be combined with --resume" in result.stderr


@pytest.mark.slow
def test_resuming_a_completed_run_is_refused(netspec_process, reference_run):
    result = netspec_process("train", "--resume", reference_run)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-2:] == [
        f"error: run {reference_run} already completed; nothing to resume",
        "  hint: train again without --resume to start a new run",
    ]


@pytest.mark.slow
def test_spec_with_resume_and_no_unfinished_run(netspec_process, tmp_path):
    spec = helpers.tiny_spec(tmp_path)
    result = netspec_process("train", spec, "--resume", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: no unfinished run of 'tiny' under runs/tiny" in result.stderr
    assert "Traceback" not in result.stderr
