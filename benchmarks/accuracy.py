"""Accuracy of every spec in specs/ on mnist_5k: tuned on validation, test reported once.

    python benchmarks/accuracy.py [SPEC...] [--seeds 1,2,3] [--validation-only] [--set P=V ...]

(default: every specs/*.yaml). Each spec is trained as written (layers, optimizer, schedule,
epochs, train.seed, data.augment), except its data: `data.source=mnist_5k` split
{train: 3500, validation: 500, test: 1000}, once per split seed (`data.seed`; it also seeds
the order of examples and augmentation). The split is stratified by class and a seeded function of
data.seed alone (netspec/data/splits.py), so all specs see the same digits for the same seed.

Prints, per spec, the validation accuracy (mean and min-max over the seeds), the mean test
accuracy, the target where one is set (compared with the mean test accuracy) and the mean
training time per run.

--validation-only is what tuning uses: the test split is set to 0 examples, so test accuracy
is neither computed nor printed. The parts are consecutive slices of one stratified order,
so train and validation are the same digits as with the test split present.
--set PATH=VALUE overrides a spec value for every spec (a tuning candidate), like
`netspec train --set`.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

SPECS = Path(__file__).parents[1] / "specs"
TARGETS = {"mlp": 0.93, "cnn": 0.965, "cnn_pool": 0.97, "resnet": 0.992}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*", type=Path, help="spec files (default: specs/*.yaml)")
    parser.add_argument("--seeds", default="1,2,3", help="split seeds (data.seed), e.g. 1,2,3")
    parser.add_argument(
        "--validation-only", action="store_true", help="no test split: validation figures only"
    )
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    test = 0 if args.validation_only else 1000

    from netspec.spec import load
    from netspec.train.session import train  # imports TensorFlow before any clock starts

    paths = args.specs or sorted(SPECS.glob("*.yaml"))
    print(f"split seeds {seeds}; validation: mean (min-max) over seeds; test: mean")
    print(
        f"{'spec':10s} {'epochs':>6s} {'validation':>22s} {'test':>7s} {'target':>7s} {'s/run':>6s}"
    )
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            validation, tests, seconds = [], [], []
            augment = json.dumps(load(path, args.set).data.get("augment"))  # kept as written
            for seed in seeds:
                data = (
                    f"data={{source: mnist_5k, seed: {seed}, augment: {augment}, "
                    f"split: {{train: 3500, validation: 500, test: {test}}}}}"
                )
                spec = load(path, (*args.set, data))
                start = time.perf_counter()
                run = train(spec, out=Path(tmp) / f"{spec.name}-{seed}", quiet=True)
                seconds.append(time.perf_counter() - start)
                metrics = json.loads((run / "metrics.json").read_text())
                validation.append(metrics["validation"]["accuracy"])
                if not args.validation_only:
                    tests.append(metrics["test"]["accuracy"])
            val = f"{mean(validation):.2%} ({min(validation):.2%}-{max(validation):.2%})"
            target = TARGETS.get(spec.name)
            if args.validation_only:
                test_text, verdict = "-", ""
            else:
                test_text = f"{mean(tests):.2%}"
                verdict = "" if target is None else f"{target:.1%}"
                if target is not None and mean(tests) < target:
                    verdict += " MISSED"
                    failed.append(spec.name)
            print(
                f"{spec.name:10s} {spec.train['epochs']:6d} {val:>22s} {test_text:>7s} "
                f"{verdict:>7s} {mean(seconds):6.1f}",
                flush=True,
            )
    if failed:
        sys.exit(f"below target: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
