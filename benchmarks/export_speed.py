"""Export time and inference throughput of the three engines, as ratios measured in one run.

    python benchmarks/export_speed.py [SPEC]        (default specs/cnn.yaml)

Times `export_model` for both formats including verification (fresh weights: speed does not
depend on training), then examples/second at batch 1 and 256 for the Keras model (eager
call), the reloaded SavedModel signature and onnxruntime, each relative to Keras.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MIN_SECONDS = 1.0  # per measurement: repeat calls until this much time has passed
KERAS = "keras (eager call)"


def throughput(run, x) -> float:
    run(x)  # warm-up: tracing, session arenas
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < MIN_SECONDS:
        run(x)
        calls += 1
    return calls * len(x) / elapsed


def main(spec_path: str) -> None:
    import onnxruntime as ort
    import tensorflow as tf

    from netspec.compile import build_model
    from netspec.export import export_model
    from netspec.export.source import verification_batch
    from netspec.spec import load

    spec = load(spec_path, ["export.formats=[saved_model, onnx]"])
    model = build_model(spec)
    real_batch, class_names, notes = verification_batch(spec)
    with tempfile.TemporaryDirectory() as tmp:
        export_seconds = []
        for attempt in range(2):
            start = time.perf_counter()
            result = export_model(
                spec,
                model,
                Path(tmp) / f"export{attempt}",
                spec.export,
                source=spec_path,
                class_names=class_names,
                real_batch=real_batch,
                notes=tuple(notes),
            )
            export_seconds.append(time.perf_counter() - start)
        out = result.out_dir
        serving = tf.saved_model.load(str(out / "saved_model")).signatures["serving_default"]
        session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
        name = spec.input["name"]
        engines = {
            KERAS: lambda x: model(x, training=False),
            "saved_model": lambda x: serving(**{name: tf.constant(x)})["logits"],
            "onnxruntime": lambda x: session.run(["logits"], {name: x}),
        }
        rng = np.random.default_rng(0)
        low, high = (spec.input["scale"] or {"from": (0, 1)})["from"]
        rates = {}
        for batch in (1, 256):
            x = rng.uniform(low, high, (batch, *spec.input["shape"])).astype(np.float32)
            rates[batch] = {engine: throughput(run, x) for engine, run in engines.items()}

    params = sum(int(np.prod(v.shape)) for v in model.weights if "seed_generator" not in v.path)
    print(
        f"{spec_path}: {params:,} parameters; tensorflow {tf.__version__}, onnxruntime "
        f"{ort.__version__}, {os.cpu_count()} CPUs"
    )
    print(
        f"export, both formats + verification: {export_seconds[0]:.2f} s first, "
        f"{export_seconds[1]:.2f} s again in the same process"
    )
    print(f"{'examples/s':<20} {'batch 1':>16} {'batch 256':>18}")
    for engine in engines:
        cells = [
            f"{rates[b][engine]:>9,.0f} ({rates[b][engine] / rates[b][KERAS]:>5.1f}x)"
            for b in (1, 256)
        ]
        print(f"{engine:<20} {cells[0]:>16} {cells[1]:>18}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "specs/cnn.yaml")
