"""Export a trained run (or a spec) as verified SavedModel and ONNX artifacts with stable names.

    from netspec.export import export_run
    result = export_run("runs/cnn/20260101-120000", overrides=["export.formats=[onnx]"])

Modules: exporter (export_run, export_model: orchestration, output layout), formats/ (one
module per format behind one registry), params (what is exported and the pure inference
function every format traces), serving (the SavedModel's module), onnx_graph + canonical
(ONNX conversion), verify, precision (float32 exports of mixed-precision runs), names
(names.json), metadata (what artifacts say about themselves), source (what gets exported),
predict + inputs + artifact (run artifacts on image, .npz and IDX files). Importing this
package is cheap: TensorFlow, tf2onnx and onnxruntime load when used, and so does numpy: the
spec language lists the formats (formats/) without it.
"""

__all__ = [
    "ExportResult",
    "PrecisionGapError",
    "VerificationError",
    "export_model",
    "export_run",
]


def __getattr__(name: str):
    if name == "PrecisionGapError":
        from netspec.export import precision

        return precision.PrecisionGapError
    if name in __all__:
        from netspec.export import exporter

        return getattr(exporter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
