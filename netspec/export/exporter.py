"""export_run and export_model: a run (or a spec) -> verified artifacts in one folder.

Output layout (`out_dir`, by default `<run>/export/`):
    .netspec              marks the folder as a netspec export (netspec.outputs)
    saved_model/          serving_default: {<input>: raw values} -> {logits, probabilities}
                          (scaled values instead with export.preprocessing: false)
    saved_model/netspec.json   metadata, the resolved spec and the checkpoint keys
    model.onnx
    names.json            every parameter's name, shape, dtype in each format (names.py)
    verification.json     parity and timings of every engine against Keras (verify.py), and
                          for a mixed-precision run the float32 export's gap to the model as
                          trained (precision.py)
The folder is replaced only when everything is written and verified, and only if it is a
netspec export already (or new, or empty): see netspec.outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import netspec
from netspec import files, outputs
from netspec.errors import UserError
from netspec.export.metadata import ArtifactInfo

RANDOM_BATCH = 64
REAL_BATCH = 256
KIND = "export"


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
            hint="raise export.tolerance (e.g. to 0.0001) only if "
            "the differences are float rounding",
        )
        self.report = report


@dataclass
class ExportResult:
    out_dir: Path
    source: str  # the run directory or spec file exported
    files: list[str]  # relative to out_dir
    report: dict
    names: dict = field(repr=False)


def legacy_export() -> outputs.Legacy:
    """What an export folder held before netspec marked its folders (names.json and
    verification.json were always written)."""
    from netspec.export.formats import FORMATS

    always = frozenset({"names.json", "verification.json"})
    return outputs.Legacy(always | {fmt.ENTRY for fmt in FORMATS.values()}, always)


def export_run(target=None, overrides=(), out=None, runs_root=None) -> ExportResult:
    """Export a run directory, a spec file (fresh weights), or (None) the latest completed run.

    `overrides` are `--set` style `export.*` settings (`export.formats=[onnx]`,
    `export.opset=15`); they are checked like the spec. Everything about the target, the
    settings and `out` is checked before TensorFlow loads.
    """
    from netspec.export.source import resolve, verification_batch

    exportable = resolve(target, overrides, runs_root)
    out_dir = Path(out) if out is not None else exportable.default_out
    outputs.check_ours(out_dir, KIND, legacy_export())
    model = exportable.load_model()
    real_batch, class_names, notes = verification_batch(exportable.spec)
    return export_model(
        exportable.spec,
        model,
        out_dir,
        exportable.settings,
        source=str(exportable.source),
        class_names=class_names,
        real_batch=real_batch,
        notes=tuple(notes),
    )


def export_model(
    spec,
    model,
    out_dir: Path,
    settings: dict,
    *,
    source: str,
    class_names: list[str] | None = None,
    real_batch: tuple[str, np.ndarray] | None = None,
    notes: tuple[str, ...] = (),
) -> ExportResult:
    """Write `settings["formats"]` for `model` into `out_dir`, verified against `model`.

    `settings` is a resolved spec's `export` section; `source` (run directory or spec file) is
    recorded in the metadata; `real_batch` is (label, raw inputs), e.g. the run's test split,
    checked besides random raw inputs. The artifacts are float32: a mixed-precision `model`
    is exported through its float32 twin (same weights), and when the spec trains in mixed
    precision the gap between the two is measured on `real_batch` (netspec.export.precision).
    Raises VerificationError or PrecisionGapError (and leaves `out_dir` as it was) when an
    engine disagrees with the float32 model, or that model with the mixed one.
    """
    from netspec.export.formats import FORMATS
    from netspec.export.names import names_lock
    from netspec.export.params import InferenceFunction, inference_model, scaling_layer
    from netspec.export.precision import float32_and_mixed, precision_gap
    from netspec.export.verify import verify

    raw_dtype = spec.input.get("dtype", "float32")
    model, mixed = float32_and_mixed(spec, model)
    gap = None
    if mixed is not None:  # fails before anything is written
        gap = precision_gap(mixed, model, real_batch, _random_inputs(spec, raw_dtype))
    model_fn = inference_model(model, settings["preprocessing"])
    scaling = None if model_fn is model else scaling_layer(model)
    fn = InferenceFunction(model_fn)
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
        input_resize=spec.data.get("resize", "stretch"),
    )
    chosen = {name: FORMATS[name] for name in settings["formats"]}
    with outputs.replace_dir(Path(out_dir), KIND, legacy_export()) as staging:
        written = {name: staging / fmt.ENTRY for name, fmt in chosen.items()}
        engines = {
            name: fmt.write(fn, info, settings, written[name]) for name, fmt in chosen.items()
        }
        batches = {}
        if real_batch is not None:
            label, x = real_batch
            batches[label] = np.asarray(x[:REAL_BATCH], dtype=raw_dtype)
        batches["random"] = _random_inputs(spec, raw_dtype)
        report = verify(
            reference=lambda x: model(x, training=False),
            engines=engines,
            batches=batches,
            tolerance=settings["tolerance"],
            feed=lambda x: x if scaling is None else np.asarray(scaling(x)),
        )
        if gap is not None:
            report["precision"] = gap
        report["notes"] = list(notes)
        if not report["passed"]:
            raise VerificationError(report)
        names = names_lock(fn.params, info, written)
        for name, fmt in chosen.items():
            fmt.finish(written[name], info, spec, names["parameters"])
        files.write_json(staging / "names.json", names)
        files.write_json(staging / "verification.json", report)
        written_files = sorted(
            str(p.relative_to(staging))
            for p in staging.rglob("*")
            if p.is_file() and p.name != outputs.MARKER
        )
    return ExportResult(
        out_dir=Path(out_dir), source=source, files=written_files, report=report, names=names
    )


def _random_inputs(spec, dtype: str) -> np.ndarray:
    """Uniform over the raw input range (the range the model's scaling maps from)."""
    scale = spec.input.get("scale")
    low, high = scale["from"] if scale else (0.0, 1.0)
    rng = np.random.default_rng(0)
    return rng.uniform(low, high, (RANDOM_BATCH, *spec.input["shape"])).astype(dtype)
