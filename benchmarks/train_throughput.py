"""Training speed of `netspec train` against the same network written by hand in plain Keras.

    python benchmarks/train_throughput.py [--rounds R] [--set PATH=VALUE]...

Trains specs/cnn.yaml through `netspec.train.train` and runs train_plain_keras_cnn.py (same
layers, batch size, optimizer, schedule, epochs, mnist_5k data), each in a fresh process,
alternating for R rounds so that load from other processes hits both alike. Reports the median
examples/second
  - of the epochs: netspec's per-epoch wall times (training and validation) against the
    plain script's `fit` call;
  - end to end: netspec's whole `train()` (data, model, epochs with checkpoints, logs and
    history, final metrics on every split, curves.png) against the plain script's data
    loading, model, fit and test evaluation;
and the ratios (netspec / plain), and the peak resident memory of each process. `--set`
changes the spec for netspec's side only (e.g. train.steps_per_execution=32).
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = Path(__file__).parents[1] / "specs" / "cnn.yaml"
PLAIN = Path(__file__).with_name("train_plain_keras_cnn.py")


def netspec_child(out: str, overrides: list[str]) -> None:
    """Runs in the child: train SPEC into `out`, print the timings as one JSON line."""
    from netspec.spec import load
    from netspec.train.session import train  # imports TensorFlow, as the plain script does

    start = time.perf_counter()
    run = train(load(SPEC, overrides), out=out, quiet=True)
    seconds = time.perf_counter() - start
    with open(run / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    metrics = json.loads((run / "metrics.json").read_text())
    print(
        json.dumps(
            {
                "examples": len(rows) * metrics["train"]["examples"],
                "fit_seconds": sum(float(r["seconds"]) for r in rows),
                "seconds": seconds,
                "test_accuracy": metrics["test"]["accuracy"],
            }
        )
    )


def measure(command: list[str]) -> dict:
    """Run `command`; its JSON line plus its peak RSS in MiB (from the kernel, via wait4)."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stdout = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"{' '.join(command)} failed with exit code {child.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return {**result, "peak_rss_mib": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return netspec_child(args.child, args.set)

    results = {"netspec": [], "plain keras": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            results["netspec"].append(
                measure(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        f"{tmp}/run{round_}",
                        *(f"--set={o}" for o in args.set),
                    ]
                )
            )
            results["plain keras"].append(measure([sys.executable, str(PLAIN)]))

    def median(name, key):
        return statistics.median(r[key] for r in results[name])

    changes = f" with {', '.join(args.set)}" if args.set else ""
    print(f"{SPEC.name}{changes}, {args.rounds} rounds, median examples/second (higher is better)")
    speeds = {}
    for name in results:
        examples = median(name, "examples")
        speeds[name] = (examples / median(name, "fit_seconds"), examples / median(name, "seconds"))
        print(
            f"  {name:12s} epochs {speeds[name][0]:7.0f}   end to end {speeds[name][1]:7.0f}"
            f"   test accuracy {median(name, 'test_accuracy'):.4f}"
            f"   peak RSS {median(name, 'peak_rss_mib'):.0f} MiB"
        )
    epochs_ratio, total_ratio = (a / b for a, b in zip(speeds["netspec"], speeds["plain keras"]))
    print(
        f"  ratio netspec / plain keras: epochs {epochs_ratio:.2f}   end to end {total_ratio:.2f}"
    )


if __name__ == "__main__":
    main()
