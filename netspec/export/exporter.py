"""export_model: (spec, Keras model) -> verified SavedModel and/or ONNX in one directory.

Output layout (`out_dir`, by default `<run>/export/`):
    saved_model/          serving_default: {<input>: raw values} -> {logits, probabilities}
                          (scaled values instead with export.preprocessing: false)
    saved_model/netspec.json
    model.onnx
    names.json            every parameter's name, shape, dtype in each format (names.py)
    verification.json     parity and timings of every engine against Keras (verify.py)
The directory is replaced only when everything is written and verified (atomic.py).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import netspec
from netspec.errors import UsageError, UserError
from netspec.export.metadata import ArtifactInfo

FORMATS = ("saved_model", "onnx")
# tf2onnx 1.17 converts opsets 13-18 and refuses 19+. 17 is the default: onnxruntime has run it
# since 1.13 (as do TensorRT 8.6+ and OpenVINO), and 18 only moves Reduce* axes into inputs,
# which these models don't use.
OPSETS = range(13, 19)
SAVED_MODEL_DIR = "saved_model"
ONNX_FILE = "model.onnx"
RANDOM_BATCH = 64
REAL_BATCH = 256


class VerificationError(UserError):
    """The artifacts disagree with the Keras model; nothing was written."""

    def __init__(self, report: dict):
        failed = [
            f"{engine} on {batch} batch (max |diff| {r['max_abs_diff']:.2e}, "
            f"{r['argmax_mismatches']} argmax differ)"
            for engine, results in report["engines"].items()
            for batch, r in results.items()
            if not r.get("ok", True)
        ]
        super().__init__(
            f"export verification failed: {'; '.join(failed)}; "
            f"tolerance {report['tolerance']:g}; nothing was written",
            hint="raise export.tolerance (--set export.tolerance=0.0001) only if "
            "the differences are float rounding",
        )
        self.report = report


@dataclass(frozen=True)
class ExportOptions:
    formats: tuple[str, ...] = FORMATS
    opset: int = 17
    preprocessing: bool = True
    tolerance: float = 1e-5

    @classmethod
    def from_spec(cls, export: dict, formats=None, opset: int | None = None) -> "ExportOptions":
        """The spec's `export` settings, with command-line choices taking precedence."""
        options = cls(
            formats=tuple(formats or export.get("formats", FORMATS)),
            opset=opset if opset is not None else export.get("opset", cls.opset),
            preprocessing=export.get("preprocessing", cls.preprocessing),
            tolerance=export.get("tolerance", cls.tolerance),
        )
        unknown = set(options.formats) - set(FORMATS)
        if unknown or not options.formats:
            raise UsageError(
                f"unknown export format(s) {sorted(unknown)}",
                hint=f"choose from {', '.join(FORMATS)}",
            )
        if options.opset not in OPSETS:
            raise UsageError(
                f"ONNX opset {options.opset} is not supported",
                hint=f"tf2onnx converts opsets {OPSETS[0]}..{OPSETS[-1]}; 17 is the default",
            )
        return options


@dataclass
class ExportResult:
    out_dir: Path
    files: list[str]  # relative to out_dir
    report: dict
    names: dict = field(repr=False)


def export_model(
    spec,
    model,
    out_dir: Path,
    options: ExportOptions,
    *,
    source: str,
    class_names: list[str] | None = None,
    real_batch: tuple[str, np.ndarray] | None = None,
    notes: tuple[str, ...] = (),
) -> ExportResult:
    """Write the chosen formats for `model` into `out_dir`, verified against `model`.

    `source` (run directory or spec file) is recorded in the metadata; `real_batch` is
    (label, raw inputs), e.g. the run's test split, checked besides random raw inputs.
    Raises VerificationError (and leaves `out_dir` as it was) when an engine disagrees.
    """
    import onnx
    import onnxruntime as ort
    import tensorflow as tf

    from netspec.export import onnx_graph
    from netspec.export.atomic import staged_dir
    from netspec.export.canonical import canonicalize
    from netspec.export.names import names_lock
    from netspec.export.params import InferenceFunction, inference_model, scaling_layer
    from netspec.export.saved_model import write_saved_model
    from netspec.export.verify import verify

    model_fn = inference_model(model, options.preprocessing)
    scaling = None if model_fn is model else scaling_layer(model)
    fn = InferenceFunction(model_fn)
    raw_dtype = spec.input.get("dtype", "float32")
    info = ArtifactInfo(
        netspec_version=netspec.__version__,
        spec_name=spec.name,
        spec_hash=spec.hash,
        source=source,
        class_names=class_names or [str(i) for i in range(model.output.shape[-1])],
        input_name=spec.input["name"],
        input_shape=list(spec.input["shape"]),
        input_dtype=raw_dtype if scaling is None else "float32",
        input_scale=spec.input.get("scale"),
        preprocessing=scaling is None,
    )

    out_dir = Path(out_dir)
    with staged_dir(out_dir) as staging:
        engines = {}
        saved_model_dir = onnx_model = None
        if "saved_model" in options.formats:
            saved_model_dir = staging / SAVED_MODEL_DIR
            write_saved_model(fn, info, saved_model_dir)
            serving = tf.saved_model.load(str(saved_model_dir)).signatures["serving_default"]
            engines["saved_model"] = lambda x: serving(**{info.input_name: tf.constant(x)})[
                "logits"
            ].numpy()
        if "onnx" in options.formats:
            converted = onnx_graph.convert(fn, info, options.opset)
            onnx_graph.attach_metadata(converted, info)
            onnx_model = canonicalize(converted, [p.name for p in fn.params], spec.name)
            onnx.checker.check_model(onnx_model, full_check=True)
            (staging / ONNX_FILE).write_bytes(onnx_model.SerializeToString(deterministic=True))
            session = ort.InferenceSession(
                str(staging / ONNX_FILE), providers=["CPUExecutionProvider"]
            )
            engines["onnx"] = lambda x: session.run(["logits"], {info.input_name: x})[0]

        batches = {}
        if real_batch is not None:
            label, x = real_batch
            batches[label] = np.asarray(x[:REAL_BATCH], dtype=raw_dtype)
        batches["random"] = _random_inputs(spec, raw_dtype)
        report = verify(
            reference=lambda x: model(x, training=False),
            engines=engines,
            batches=batches,
            tolerance=options.tolerance,
            feed=lambda x: x if scaling is None else np.asarray(scaling(x)),
        )
        report["notes"] = list(notes)
        if not report["passed"]:
            raise VerificationError(report)
        names = names_lock(fn.params, info, saved_model_dir, onnx_model)
        _write_json(staging / "names.json", names)
        _write_json(staging / "verification.json", report)
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    return ExportResult(out_dir=out_dir, files=files, report=report, names=names)


def _random_inputs(spec, dtype: str) -> np.ndarray:
    """Uniform over the raw input range (the range the model's scaling maps from)."""
    scale = spec.input.get("scale")
    low, high = scale["from"] if scale else (0.0, 1.0)
    rng = np.random.default_rng(0)
    return rng.uniform(low, high, (RANDOM_BATCH, *spec.input["shape"])).astype(dtype)


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2) + "\n")
