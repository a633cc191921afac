"""The parity tolerance is absolute for small logits and relative for large ones."""

import numpy as np

from netspec.export.verify import verify


def run(logits: np.ndarray, error: float) -> bool:
    batch = np.zeros((len(logits), 1), np.float32)
    report = verify(
        lambda x: logits,
        {"onnx": lambda x: logits + error},
        {"test": batch},
        feed=lambda x: x,
        tolerance=1e-5,
    )
    return report["passed"]


def test_small_logits_need_an_absolute_match():
    logits = np.array([[0.5, -0.2, 0.1]])
    assert run(logits, 0.9e-5)
    assert not run(logits, 2e-5)


def test_large_logits_allow_float32_round_off_in_proportion():
    logits = np.array([[40.0, -3.0, 1.0]])
    assert run(logits, 2e-5)  # a few float32 steps at 40
    assert not run(logits, 1e-3)


def test_a_changed_argmax_fails_whatever_the_difference():
    logits = np.array([[1.0, 1.0 - 1e-7, 0.0]])
    report = verify(
        lambda x: logits,
        {"onnx": lambda x: logits[:, [1, 0, 2]]},
        {"test": np.zeros((1, 1))},
        feed=lambda x: x,
        tolerance=1e-5,
    )
    assert not report["passed"]
    assert report["engines"]["onnx"]["test"]["argmax_mismatches"] == 1
