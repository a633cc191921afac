"""What jit_compile and steps_per_execution buy in netspec's training loop on this machine.

    python benchmarks/train_options.py [SPEC] [--epochs N] [--rounds R]   (default specs/cnn.yaml)

Builds the spec's model once per variant and trains it with netspec's loop (loop.TrainStep on
the pipeline's batches): one warm-up epoch (tracing, XLA compilation), then `--epochs` more,
timed; variants run interleaved for `--rounds` rounds so that load from other processes hits
them alike. Prints the median examples/second of each variant and its ratio to the baseline:
no XLA, one step per call into TensorFlow.
"""

import argparse
import statistics
import time

VARIANTS = {  # name: (jit_compile, steps_per_execution)
    "baseline (1 step per call)": (False, 1),
    "steps_per_execution=8": (False, 8),
    "steps_per_execution=32": (False, 32),
    "jit_compile": (True, 1),
    "jit_compile + steps_per_execution=32": (True, 32),
}


def measure(spec, data, jit: bool, per_call: int, epochs: int) -> float:
    import keras

    from netspec.data.pipeline import Batches
    from netspec.train import loop, session, topology

    place = session.Placement(*topology.make("auto"))
    keras.utils.set_random_seed(1)
    model = session._model(spec, place)
    step = loop.TrainStep(model, session._optimizer(model, spec, place), spec, place.strategy, jit)
    batches = Batches(data.train, spec, data.num_classes)

    def train(epoch: int) -> None:
        steps = loop.distributed_epoch(place.strategy, place.topology, batches, epoch)
        for _, count in loop.chunks(batches.steps, 0, per_call, None):
            step.run(steps, count)

    train(0)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        train(epoch)
    return epochs * len(data.train) / (time.perf_counter() - start)


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
