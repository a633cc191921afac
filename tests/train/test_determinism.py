"""Same spec and seed, same weights: a run in a child process equals one in this process."""

from __future__ import annotations

import pytest

from tests.train import helpers

pytestmark = pytest.mark.slow


def test_two_processes_train_bit_identical_weights(tmp_path, reference_run):
    child = helpers.start_training(
        helpers.tiny_spec(tmp_path), "--out", "run", "--quiet", cwd=tmp_path
    )
    stdout, stderr = child.communicate(timeout=300)
    assert child.returncode == 0, stderr
    assert stdout == "run\n"  # --quiet prints only the run directory
    helpers.assert_same_weights(
        helpers.final_weights(tmp_path / "run"), helpers.final_weights(reference_run)
    )
    assert (
        helpers.manifest(tmp_path / "run")["data"]["fingerprint"]
        == helpers.manifest(reference_run)["data"]["fingerprint"]
    )


def test_another_seed_trains_other_weights(tmp_path, reference_run):
    from netspec.train import train

    run = train(
        helpers.tiny_spec(tmp_path, train={**helpers.TINY["train"], "seed": 8, "epochs": 1}),
        out=tmp_path / "run",
        quiet=True,
    )
    ours, reference = helpers.final_weights(run), helpers.final_weights(reference_run)
    assert not (ours["conv1/kernel"] == reference["conv1/kernel"]).all()
