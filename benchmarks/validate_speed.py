"""How long `netspec validate specs/cnn.yaml` takes as a whole process, against `python -c pass`.

Both are run alternately in the same session, so the ratio holds on any machine:
    python benchmarks/validate_speed.py [--runs 20] [SPEC]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=ROOT / "specs" / "cnn.yaml")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("netspec")
    netspec = [str(script)] if script.exists() else [sys.executable, "-m", "netspec"]
    validate, baseline = [], []
    for _ in range(args.runs):
        validate.append(seconds([*netspec, "validate", str(args.spec)]))
        baseline.append(seconds([sys.executable, "-c", "pass"]))
    v, b = statistics.median(validate), statistics.median(baseline)
    print(f"netspec validate {args.spec.name}: median {v:.3f} s over {args.runs} runs")
    print(f"python -c pass: median {b:.3f} s")
    print(f"ratio: {v / b:.1f} ({v - b:.3f} s more than the bare interpreter)")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "note: PYTHONDONTWRITEBYTECODE is set, so modules without a cached .pyc "
            "(netspec's own, when installed editable) are compiled on every run"
        )


if __name__ == "__main__":
    main()
