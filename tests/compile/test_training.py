"""Learning-rate schedules, optimizers and losses built from spec.train."""

import math

import keras
import pytest

from netspec.compile import build_loss, build_optimizer, learning_rate
from tests.helpers import load_spec as spec_from

pytestmark = pytest.mark.slow  # imports TensorFlow


def value(schedule, step):
    return float(schedule(step))


def test_decay_to_floor_is_goerners_formula():
    lr = learning_rate(
        {"schedule": "decay_to_floor", "initial": 0.003, "floor": 0.0001, "decay_steps": 2000}
    )
    for step in (0, 500, 2000, 10000):
        expected = 0.0001 + (0.003 - 0.0001) * math.exp(-step / 2000)
        assert value(lr, step) == pytest.approx(expected, rel=1e-5)


def test_exponential_staircase_steps_in_whole_periods():
    lr = learning_rate(
        {
            "schedule": "exponential",
            "initial": 0.05,
            "decay_steps": 100,
            "decay_rate": 0.5,
            "staircase": True,
        }
    )
    assert value(lr, 99) == pytest.approx(0.05)
    assert value(lr, 100) == pytest.approx(0.025)
    assert value(lr, 250) == pytest.approx(0.0125)


def test_piecewise_constant():
    lr = learning_rate(
        {"schedule": "piecewise", "boundaries": [10, 20], "values": [0.1, 0.01, 0.001]}
    )
    assert [value(lr, s) for s in (5, 15, 25)] == pytest.approx([0.1, 0.01, 0.001])


def test_cosine_with_warmup_reaches_initial_then_floor():
    lr = learning_rate(
        {
            "schedule": "cosine",
            "initial": 0.002,
            "decay_steps": 100,
            "warmup_steps": 10,
            "floor": 0.0002,
        }
    )
    assert value(lr, 0) == pytest.approx(0.0, abs=1e-9)
    assert value(lr, 10) == pytest.approx(0.002)
    assert value(lr, 110) == pytest.approx(0.0002)


def test_optimizer_and_loss_follow_the_spec(tmp_path):
    spec = spec_from(
        tmp_path,
        """
input: {shape: [4]}
layers: [{type: dense, name: logits, units: 3}]
train:
  optimizer: {type: momentum, momentum: 0.8, nesterov: true}
  learning_rate: 0.01
  loss: {labels: one_hot, label_smoothing: 0.1}
data: {source: synthetic, classes: 3}
""",
    )
    opt = build_optimizer(spec)
    assert isinstance(opt, keras.optimizers.SGD) and opt.nesterov
    assert opt.momentum == pytest.approx(0.8)
    loss = build_loss(spec)
    assert isinstance(loss, keras.losses.CategoricalCrossentropy)
    assert loss.get_config()["label_smoothing"] == pytest.approx(0.1)
    assert loss.get_config()["from_logits"]
