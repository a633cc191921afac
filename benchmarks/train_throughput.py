"""Training speed of `netspec train`: against plain Keras, across precisions, across devices.

    python benchmarks/train_throughput.py [--compare keras|precision|devices] [--rounds R]
                                          [--set PATH=VALUE]...

Each side trains in a fresh process, the sides alternating for R rounds (default 5) so that
load from other processes hits them alike; reported are medians of examples/second
  - of the epochs: netspec's per-epoch wall times (training and validation; the plain
    script's `fit` call);
  - end to end: the whole run (data, model, epochs with checkpoints, logs and history, final
    metrics on every split, curves.png; the plain script's data loading, model, fit and test
    evaluation);
the ratio of the sides, and the peak resident memory of each process.

--compare keras (default): specs/cnn.yaml through `netspec.train.train` against
    train_plain_keras_cnn.py (same layers, batch size, optimizer, schedule, epochs, mnist_5k).
--compare precision: specs/cnn_pool.yaml (4 epochs) with train.precision mixed_bfloat16
    against float32.
--compare devices: specs/cnn.yaml on 2 devices (`--devices 2`: logical CPUs on a host
    without GPUs) against 1.
`--set` changes the spec of netspec's sides (e.g. train.steps_per_execution=8).
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

SPECS = Path(__file__).parents[1] / "specs"
PLAIN = Path(__file__).with_name("train_plain_keras_cnn.py")


def netspec_child(out: str, spec: str, devices: str, overrides: list[str]) -> None:
    """Runs in the child: train `spec` into `out`, print the timings as one JSON line."""
    from netspec.spec import load
    from netspec.train.session import train  # imports TensorFlow, as the plain script does

    start = time.perf_counter()
    run = train(load(spec, overrides), out=out, quiet=True, devices=devices)
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


def sides(compare: str, overrides: list[str]) -> dict[str, tuple[str, str, list[str]] | None]:
    """name -> (spec, devices, overrides) of a netspec side; None: the plain Keras script.
    The first side is the baseline of the ratio."""
    cnn, pool = str(SPECS / "cnn.yaml"), str(SPECS / "cnn_pool.yaml")
    if compare == "keras":
        return {"plain keras": None, "netspec": (cnn, "auto", overrides)}
    if compare == "precision":
        short = ["train.epochs=4", *overrides]
        return {
            "float32": (pool, "auto", short),
            "mixed_bfloat16": (pool, "auto", [*short, "train.precision=mixed_bfloat16"]),
        }
    return {"1 device": (cnn, "1", overrides), "2 devices": (cnn, "2", overrides)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--compare", choices=("keras", "precision", "devices"), default="keras")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return netspec_child(*args.child, args.set)

    compared = sides(args.compare, args.set)
    results = {name: [] for name in compared}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for k, (name, side) in enumerate(compared.items()):
                if side is None:
                    command = [sys.executable, str(PLAIN)]
                else:
                    spec, devices, overrides = side
                    out = f"{tmp}/run{round_}-{k}"
                    command = [sys.executable, __file__, "--child", out, spec, devices]
                    command += [f"--set={o}" for o in overrides]
                results[name].append(measure(command))

    def median(name, key):
        return statistics.median(r[key] for r in results[name])

    changes = f" with {', '.join(args.set)}" if args.set else ""
    print(
        f"--compare {args.compare}{changes}, {args.rounds} rounds, median examples/second "
        "(higher is better)"
    )
    speeds = {}
    for name in results:
        examples = median(name, "examples")
        speeds[name] = (examples / median(name, "fit_seconds"), examples / median(name, "seconds"))
        print(
            f"  {name:14s} epochs {speeds[name][0]:7.0f}   end to end {speeds[name][1]:7.0f}"
            f"   test accuracy {median(name, 'test_accuracy'):.4f}"
            f"   peak RSS {median(name, 'peak_rss_mib'):.0f} MiB"
        )
    base, other = list(speeds)
    epochs_ratio, total_ratio = (a / b for a, b in zip(speeds[other], speeds[base]))
    print(f"  ratio {other} / {base}: epochs {epochs_ratio:.2f}   end to end {total_ratio:.2f}")


if __name__ == "__main__":
    main()
