"""Exports are float32; for a mixed-precision run, how far they are from the model as trained.

tf2onnx maps bfloat16 to float16 and onnxruntime has no bfloat16 kernels on CPU
(onnx/tensorflow-onnx#2337, microsoft/onnxruntime#13262), so the exporter rebuilds the spec
under float32 and loads the same weights (float32 under every policy): a cast-free graph that
runs everywhere, which the three-engine gate (verify.py) compares with that float32 model.

The gate cannot see how far the float32 function is from the bfloat16/float16 one that
training and `netspec evaluate` ran. That gap is measured here, the mixed model against the
float32 one on the real examples the exporter verifies on (the test split, else another), and
recorded in verification.json; an export whose top class differs on more than 1% of them is
refused.
"""

from __future__ import annotations

import numpy as np

from netspec.errors import UserError

FLOAT32 = "float32"  # as netspec.compile.precision, which imports Keras

TOP1_BOUND = 0.99  # least share of examples on which both models pick the same class
BATCH = 512


class PrecisionGapError(UserError):
    """The float32 export picks another class than the mixed model too often; nothing was
    written."""

    def __init__(self, gap: dict):
        super().__init__(
            f"export verification failed: the float32 export and the {gap['trained']} model "
            f"pick the same class on only {gap['top1_agreement']:.2%} of "
            f"{gap['examples']} {gap['batch']} examples (at least {gap['bound']:.0%} needed; "
            f"max |logit diff| {gap['max_abs_logit_diff']:.2e}); nothing was written",
            hint="the exported model would not behave like the one trained; train with "
            "train.precision: float32 to export this network",
        )
        self.gap = gap


def float32_and_mixed(spec, model):
    """(float32 model, mixed model or None) holding `model`'s weights.

    `model` may be either: the other one is rebuilt from the spec. The mixed model is the
    spec's train.precision (None when that is float32, or when `model` is already float32
    and the spec trains in float32).
    """
    from netspec.compile.precision import precision_of

    built = precision_of(model)
    trained = spec.train["precision"]
    if built == FLOAT32:
        mixed = None if trained == FLOAT32 else with_precision(spec, model, trained)
        return model, mixed
    return with_precision(spec, model, FLOAT32), model


def with_precision(spec, model, precision: str):
    """The spec's model built in `precision`, holding `model`'s weights (same names)."""
    from netspec.compile import build_model
    from netspec.runs.checkpoints import model_weights

    rebuilt = build_model(spec, precision)
    source = model_weights(model)
    target = model_weights(rebuilt)
    if source.keys() != target.keys():
        raise RuntimeError(
            f"bug: {precision} model's weights {sorted(target)} differ from {sorted(source)}"
        )
    for key, variable in target.items():
        variable.assign(source[key])
    return rebuilt


def precision_gap(mixed, reference, real_batch, random_batch: np.ndarray) -> dict:
    """`measure` on `real_batch` (label, raw inputs); PrecisionGapError below the bound.

    Without real examples it is measured on `random_batch` and recorded, not enforced: random
    inputs lie near a class boundary far more often than real ones, and one flip in 64 is
    already under the bound.
    """
    label, raw = real_batch or ("random", random_batch)
    gap = {**measure(mixed, reference, label, raw), "enforced": real_batch is not None}
    if gap["enforced"] and not gap["passed"]:
        raise PrecisionGapError(gap)
    return gap


def measure(mixed, reference, batch: str, raw: np.ndarray) -> dict:
    """The mixed model against the float32 `reference` on raw inputs: the record kept in
    verification.json under `precision`."""
    from netspec.compile.precision import precision_of

    a = _logits(mixed, raw)
    b = _logits(reference, raw)
    diff = np.abs(a - b)
    agreement = float(np.mean(np.argmax(a, -1) == np.argmax(b, -1)))
    return {
        "trained": precision_of(mixed),
        "exported": FLOAT32,
        "batch": batch,
        "examples": len(raw),
        "max_abs_logit_diff": float(diff.max()),
        "mean_abs_logit_diff": float(diff.mean()),
        "top1_agreement": agreement,
        "bound": TOP1_BOUND,
        "passed": agreement >= TOP1_BOUND,
    }


def _logits(model, raw: np.ndarray) -> np.ndarray:
    dtype = model.inputs[0].dtype
    parts = [
        np.asarray(model(np.asarray(raw[i : i + BATCH], dtype), training=False), np.float64)
        for i in range(0, len(raw), BATCH)
    ]
    return np.concatenate(parts)
