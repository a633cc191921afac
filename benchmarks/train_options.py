"""What jit_compile, steps_per_execution and the input pipeline buy when training on this CPU.

    python benchmarks/train_options.py [SPEC] [--epochs N] [--rounds R]   (default specs/cnn.yaml)

Builds the spec's model and data once per variant, trains one warm-up epoch (tracing, XLA
compilation), then times `--epochs` more; variants run interleaved for `--rounds` rounds so
that load from other processes hits them alike. Prints the median examples/second of each
variant and its ratio to the baseline: what `netspec train` feeds the model (batching.py),
no XLA, one step per execution.
"""

import argparse
import statistics
import time

VARIANTS = {  # name: (jit_compile, steps_per_execution, data)
    "baseline (netspec train's batches)": (False, 1, "batches"),
    "steps_per_execution=8": (False, 8, "batches"),
    "steps_per_execution=32": (False, 32, "batches"),
    "jit_compile": (True, 1, "batches"),
    "jit_compile + steps_per_execution=8": (True, 8, "batches"),
    "numpy arrays to fit": (False, 1, "numpy"),
}


def measure(spec, data, jit: bool, steps: int, source: str, epochs: int) -> float:
    import keras

    from netspec.compile import build_model, compile_model
    from netspec.data.pipeline import Batches

    spec.doc["train"].update(jit_compile=jit, steps_per_execution=steps)
    keras.utils.set_random_seed(1)
    model = build_model(spec)
    compile_model(model, spec, steps_per_epoch=len(data.train) // spec.train["batch_size"])
    train = data.train.materialized()
    if source == "numpy":
        inputs = dict(
            x=train.x.astype("float32"), y=train.labels, batch_size=spec.train["batch_size"]
        )
    else:
        inputs = dict(x=Batches(train, spec, data.num_classes).epoch(0))
    model.fit(**inputs, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(**inputs, epochs=epochs, verbose=0, shuffle=False)
    return epochs * len(train) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", nargs="?", default="specs/cnn.yaml")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import netspec.data
    from netspec.spec import load

    spec = load(args.spec)
    data = netspec.data.load(spec)
    measure(spec, data, *next(iter(VARIANTS.values())), 1)  # process warm-up, not counted
    speeds = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, variant in VARIANTS.items():
            speeds[name].append(measure(spec, data, *variant, args.epochs))
    base = statistics.median(next(iter(speeds.values())))
    print(
        f"{args.spec}: {len(data.train)} examples x {args.epochs} epochs, "
        f"median of {args.rounds} rounds"
    )
    for name, values in speeds.items():
        median = statistics.median(values)
        print(
            f"  {name:36s} {median:8.0f} examples/s   x{median / base:.2f}   "
            f"(min {min(values):.0f}, max {max(values):.0f})"
        )


if __name__ == "__main__":
    main()
