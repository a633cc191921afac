"""Parity check: the exported artifacts against the Keras model, on the same batches.

Every engine must reproduce the Keras logits within the tolerance and give the same argmax on
every example. The tolerance is absolute for logits up to 1 in magnitude and scales with them
beyond: float32 logits of 40 are only ~4e-6 apart, so a fixed 1e-5 would fail on round-off
of two or three float steps rather than on a wrong export. Timings are per batch, after one
warm-up call, measured in the same process.
"""

import time
from collections.abc import Callable

import numpy as np

Engine = Callable[[np.ndarray], np.ndarray]  # input batch -> logits


def verify(
    reference: Engine,
    engines: dict[str, Engine],
    batches: dict[str, np.ndarray],
    feed: Callable[[np.ndarray], np.ndarray],
    tolerance: float,
) -> dict:
    """Compare each engine with `reference` on every batch of raw inputs.

    `reference` takes raw inputs; the engines take `feed(raw)` (the scaled batch when the
    artifacts leave scaling out). Returns the report saved as verification.json.
    """
    report = {
        "tolerance": tolerance,
        "passed": True,
        "batches": {name: {"size": len(x)} for name, x in batches.items()},
        "engines": {},
    }
    for batch, raw in batches.items():
        expected, ms = _timed(reference, raw)
        largest = float(np.max(np.abs(expected)))
        allowed = tolerance * max(1.0, largest)
        report["batches"][batch].update(
            max_abs_logit=largest,
            allowed_diff=allowed,
            float32_spacing=float(np.spacing(np.float32(largest))),
        )
        report["engines"].setdefault("keras", {})[batch] = {"ms": ms}
        fed = feed(raw)
        for engine, run in engines.items():
            logits, ms = _timed(run, fed)
            diff = float(np.max(np.abs(logits - expected)))
            mismatches = int(np.sum(np.argmax(logits, -1) != np.argmax(expected, -1)))
            ok = diff <= allowed and mismatches == 0
            report["passed"] &= ok
            report["engines"].setdefault(engine, {})[batch] = {
                "max_abs_diff": diff,
                "argmax_mismatches": mismatches,
                "ok": ok,
                "ms": ms,
            }
    return report


def summary(report: dict) -> list[str]:
    """The report as aligned text lines, one per engine and batch."""
    verdict = "passed" if report["passed"] else "FAILED"
    lines = [
        f"verification {verdict} (tolerance {report['tolerance']:g} x max(1, |logit|), "
        "identical argmax)",
        f"  {'engine':<12} {'batch':<8} {'size':>5} {'max |diff|':>11} "
        f"{'argmax':>8} {'ms/batch':>9}",
    ]
    for engine, results in report["engines"].items():
        for batch, r in results.items():
            size = report["batches"][batch]["size"]
            diff = f"{r['max_abs_diff']:.2e}" if "max_abs_diff" in r else "reference"
            argmax = (
                ("same" if r["argmax_mismatches"] == 0 else f"{r['argmax_mismatches']} differ")
                if "argmax_mismatches" in r
                else ""
            )
            lines.append(
                f"  {engine:<12} {batch:<8} {size:>5} {diff:>11} {argmax:>8} {r['ms']:>9.2f}"
            )
    lines += [
        f"  {batch}: logits up to {b['max_abs_logit']:.3g} in magnitude, where float32 "
        f"values are {b['float32_spacing']:.2g} apart"
        for batch, b in report["batches"].items()
    ]
    gap = report.get("precision")
    if gap:
        # an enforced gap under the bound stops the export (PrecisionGapError) before this
        failed = "" if gap["passed"] else f" (under {gap['bound']:.0%}; not enforced)"
        lines.append(
            f"  trained in {gap['trained']}, exported in {gap['exported']}: same class on "
            f"{gap['top1_agreement']:.2%} of {gap['examples']} {gap['batch']} examples{failed}; "
            f"|logit diff| max {gap['max_abs_logit_diff']:.2e}, "
            f"mean {gap['mean_abs_logit_diff']:.2e}"
        )
    lines += [f"  note: {note}" for note in report.get("notes", [])]
    return lines


def _timed(run: Engine, x: np.ndarray) -> tuple[np.ndarray, float]:
    run(x)
    start = time.perf_counter()
    out = np.asarray(run(x), dtype=np.float64)
    return out, (time.perf_counter() - start) * 1000
