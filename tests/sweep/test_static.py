"""The sweep section without training: its resolved form, its checks, reproducible suggestions
(Optuna only, no trial process), and what `netspec sweep` refuses before starting anything."""

from __future__ import annotations

import subprocess
import sys

import pytest

from netspec.spec import SpecError
from netspec.spec.sweep import MAX_COMBINATIONS, normalize
from netspec.sweep.study import Study, trial_seed
from tests.helpers import assert_error, load_spec, write_spec
from tests.sweep import helpers

SPACES = helpers.SPEC["sweep"]["parameters"]


def with_sweep(sweep: dict | None) -> dict:
    """helpers.SPEC with this sweep section instead of its own."""
    return {**helpers.SPEC, "sweep": sweep}


def test_the_resolved_spec_keeps_the_sweep_with_its_defaults(tmp_path):
    spec = load_spec(tmp_path, with_sweep({"parameters": SPACES}))
    assert spec.doc["sweep"] == {
        "metric": "val_loss",
        "goal": "min",
        "trials": 20,
        "sampler": "tpe",
        "pruner": "none",
        "parallel": 1,
        "seed": 1,  # train.seed
        "parameters": {
            "train.learning_rate": {"type": "float", "low": 0.001, "high": 0.03, "log": True},
            "layers.hidden.units": {"type": "choice", "values": [8, 16, 32]},
        },
    }
    assert load_spec(tmp_path, with_sweep(None)).doc["sweep"] is None


def test_goal_follows_the_metric_and_a_grid_has_as_many_trials_as_points():
    grid = {
        "metric": "val_accuracy",
        "sampler": "grid",
        "parameters": {
            "layers.conv1.kernel": {"type": "int", "low": 3, "high": 7, "step": 2},
            "layers.hidden.units": {"type": "choice", "values": [8, 16]},
        },
    }
    resolved = normalize(grid, 0)
    assert resolved["goal"] == "max" and resolved["trials"] == 3 * 2
    assert resolved["parameters"]["layers.hidden.units"] == {"type": "choice", "values": [8, 16]}


@pytest.mark.parametrize(
    "sweep, where, words",
    [
        ({"sampler": "grid", "trials": 9}, "sweep.trials", ["9 trials but the grid has 3 points"]),
        (
            {
                "sampler": "grid",
                "parameters": {"train.seed": {"type": "int", "low": 0, "high": 199_999}},
            },
            "sweep.sampler",
            ["the grid has 200,000 points, more than 100,000"],
        ),
        (
            {
                "parameters": {
                    "layers.hidden.units": {"type": "int", "low": 8, "high": 30, "step": 4}
                }
            },
            "sweep.parameters.layers.hidden.units",
            ["high 30 is not low + k·step", "set high to 28"],
        ),
        (
            {
                "parameters": {
                    "train.learning_rate": {"type": "float", "low": 0, "high": 1, "log": True}
                }
            },
            "sweep.parameters.train.learning_rate",
            ["a log space needs low > 0"],
        ),
        (
            {
                "parameters": {
                    "train.learning_rate": {"type": "float", "low": 0.01, "high": 0.1},
                    "train.learning_rate.value": {"type": "float", "low": 0.01, "high": 0.1},
                }
            },
            "sweep.parameters.train.learning_rate.value",
            ["unknown path: train.learning_rate is 0.001, not a mapping"],
        ),
        (
            {
                "parameters": {
                    "layers.hidden.units": {"type": "choice", "values": [8]},
                    "layers.1.units": {"type": "choice", "values": [16]},
                }
            },
            "sweep.parameters.layers.1.units",
            ["sets the same value as parameter 'layers.hidden.units'"],
        ),
        (
            {"parameters": {"sweep.trials": {"type": "int", "low": 1, "high": 3}}},
            "sweep.parameters.sweep.trials",
            ["sweep cannot be swept"],
        ),
        (
            {"metric": "val_acc"},
            "sweep.metric",
            ["must be one of val_accuracy, val_loss", "did you mean 'val_accuracy'"],
        ),
    ],
)
def test_static_problems(tmp_path, sweep, where, words):
    grid = {"layers.hidden.units": {"type": "choice", "values": [8, 16, 32]}}
    given = {"parameters": grid, **sweep}
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path, with_sweep(given))
    [error] = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert error.dotted == where
    for word in words:
        assert word in f"{error.message} {error.hint}"


def test_checking_every_combination_is_capped_and_says_so(tmp_path):
    parameters = {
        f"layers.{name}.units": {"type": "choice", "values": [8, 16, 32, 64]}
        for name in ("a", "b", "c", "d", "e")
    }
    layers = [{"type": "flatten"}]
    layers += [{"type": "dense", "name": n, "units": 8} for n in "abcde"]
    layers += [{"type": "dense", "name": "logits", "units": 10}]
    spec = load_spec(tmp_path, {**with_sweep({"parameters": parameters}), "layers": layers})
    [warning] = spec.warnings
    assert warning.dotted == "sweep.parameters" and warning.severity == "warning"
    assert "1,024 combinations" in warning.message
    assert f"the first {MAX_COMBINATIONS} were checked" in warning.message


def test_suggestions_follow_from_the_seed_and_the_trial_number(tmp_path):
    sweep = load_spec(tmp_path, helpers.SPEC).doc["sweep"]
    whole = Study(tmp_path / "whole.sqlite", sweep)
    asked = [whole.ask().params for _ in range(4)]

    first = Study(tmp_path / "stopped.sqlite", sweep)
    stopped = [first.ask().params for _ in range(2)]
    again = Study(tmp_path / "stopped.sqlite", sweep)  # as --resume opens it
    assert stopped + [again.ask().params for _ in range(2)] == asked
    assert len({tuple(p.values()) for p in asked}) == 4
    assert trial_seed(1, 3) == trial_seed(1, 3) != trial_seed(2, 3)


def test_a_grid_sweep_tries_each_point_once(tmp_path):
    grid = {
        "sampler": "grid",
        "parameters": {
            "train.learning_rate": {"type": "choice", "values": [0.1, 0.01, 0.001]},
            "layers.hidden.units": {"type": "int", "low": 8, "high": 16, "step": 8},
        },
    }
    sweep = load_spec(tmp_path, with_sweep(grid)).doc["sweep"]
    assert sweep["trials"] == 6
    study = Study(tmp_path / "grid.sqlite", sweep)
    points = []
    for n in range(6):
        points.append(tuple(study.ask().params.values()))
        study.complete(n, 0.5)  # Optuna's grid sampler would stop the study here: not ours
    assert sorted(points) == sorted(
        (rate, units) for rate in (0.1, 0.01, 0.001) for units in (8, 16)
    )


def test_a_study_records_complete_pruned_and_failed_trials(tmp_path):
    sweep = load_spec(tmp_path, helpers.SPEC).doc["sweep"]
    study = Study(tmp_path / "s.sqlite", sweep)
    for _ in range(3):
        study.ask()
    study.report(0, 1, 0.5)
    study.complete(0, 0.75, seconds=1.5)
    study.report(1, 1, 0.25)
    study.prune(1, seconds=0.5)
    study.fail(2, "the data has 3 classes")
    reopened = Study(tmp_path / "s.sqlite", sweep).records()
    assert [(r.state, r.value) for r in reopened] == [
        ("complete", 0.75),
        ("pruned", 0.25),
        ("failed", None),
    ]
    assert reopened[0].intermediate == {1: 0.5} and reopened[0].attrs == {"seconds": 1.5}
    assert reopened[2].attrs == {"error": "the data has 3 classes"}


def test_the_median_pruner_stops_a_trial_behind_the_median_of_earlier_ones(tmp_path):
    """`pruner: median`: once 5 trials finished, an epoch's value below their median at that
    epoch tells the runner to stop the trial; `pruner: none` never does."""
    for pruner, expected in (("median", [True, False]), ("none", [False, False])):
        sweep = load_spec(tmp_path, with_sweep({**helpers.SPEC["sweep"], "pruner": pruner}))
        study = Study(tmp_path / f"{pruner}.sqlite", sweep.doc["sweep"])
        for number in range(5):
            study.ask()
            assert study.report(number, 0, 0.90 + number / 100) is False
            study.complete(number, 0.95)
        behind, ahead = study.ask().number, study.ask().number
        assert [study.report(behind, 0, 0.10), study.report(ahead, 0, 0.99)] == expected


def test_validating_a_sweep_imports_neither_optuna_nor_tensorflow(tmp_path):
    spec = helpers.sweep_spec(tmp_path)
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from netspec.cli.app import app\n"
        "result = CliRunner().invoke(app, ['validate', sys.argv[1]])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in ('optuna', 'sqlalchemy', 'tensorflow', 'keras') "
        "if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(spec)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_a_spec_without_a_sweep_is_refused_at_once(tmp_path, netspec_process):
    spec = write_spec(tmp_path, {k: v for k, v in helpers.SPEC.items() if k != "sweep"}, "plain")
    result = netspec_process("sweep", spec, cwd=tmp_path)
    assert_error(result, "has no sweep section", code=1)
    assert not (tmp_path / "runs").exists()


def test_an_invalid_sweep_starts_nothing(tmp_path, netspec_process):
    spec = helpers.sweep_spec(tmp_path, sweep={**helpers.SPEC["sweep"], "metric": "test_loss"})
    result = netspec_process("sweep", spec, cwd=tmp_path)
    assert_error(result, "sweep.metric: test_loss selects on the test split", code=1)
    assert not (tmp_path / "runs").exists()


def test_a_folder_netspec_did_not_make_is_never_resumed(tmp_path, netspec_process):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    result = netspec_process("sweep", "--resume", tmp_path / "mine")
    assert_error(result, "is not a sweep folder", code=2)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
