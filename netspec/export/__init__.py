"""Export a Keras model built from a spec: SavedModel and ONNX, stable names, verified.

    from netspec.export import ExportOptions, export_model
    result = export_model(spec, model, out_dir, ExportOptions.from_spec(spec.export),
                          source="runs/cnn/20260101-120000")

Modules: exporter (orchestration, output layout), params (what is exported and the pure
inference function both formats trace), saved_model, onnx_graph (+ canonical), verify,
names (names.json), atomic (replace the output folder only when complete), metadata (what
artifacts say about themselves), source (what the CLI exports), predict + inputs (run
artifacts on image, .npz and IDX files).
Importing this package is cheap: TensorFlow, tf2onnx and onnxruntime load when used.
"""

from netspec.export.exporter import ExportOptions, ExportResult, VerificationError, export_model

__all__ = ["ExportOptions", "ExportResult", "VerificationError", "export_model"]
