"""Test accuracy of every spec in specs/ trained on the same 4,000 mnist_5k digits.

    python benchmarks/accuracy.py [SPEC...]      (default: every specs/*.yaml)

Each spec is trained as written (layers, optimizer, schedule, epochs, seed), except its data:
`data.source=mnist_5k` split 4,000 train / 1,000 test, so all specs see the same digits.
Prints the test accuracy (on the 1,000 digits none of them trained on), the target where the
issue sets one, and the training time.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

SPECS = Path(__file__).parents[1] / "specs"
DATA = (
    "data.source=mnist_5k",
    "data.path=null",
    "data.test_path=null",
    "data.split={train: 4000, validation: 0, test: 1000}",
)
TARGETS = {"mlp": 0.93, "cnn": 0.965, "cnn_pool": 0.97}


def main(paths: list[str]) -> None:
    from netspec.spec import load
    from netspec.train.session import train  # imports TensorFlow before any clock starts

    paths = [Path(p) for p in paths] or sorted(SPECS.glob("*.yaml"))
    print(f"{'spec':10s} {'epochs':>6s} {'test accuracy':>13s} {'target':>7s} {'seconds':>8s}")
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            spec = load(path, DATA)
            start = time.perf_counter()
            run = train(spec, out=Path(tmp) / spec.name, quiet=True)
            seconds = time.perf_counter() - start
            accuracy = json.loads((run / "metrics.json").read_text())["test"]["accuracy"]
            target = TARGETS.get(spec.name)
            verdict = (
                ""
                if target is None
                else f"{target:.1%}" + ("" if accuracy >= target else " MISSED")
            )
            if target is not None and accuracy < target:
                failed.append(spec.name)
            print(
                f"{spec.name:10s} {spec.train['epochs']:6d} {accuracy:13.2%} {verdict:>7s} "
                f"{seconds:8.1f}",
                flush=True,
            )
    if failed:
        sys.exit(f"below target: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
