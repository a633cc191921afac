"""Export formats, one module each, behind one explicit registry (like the layer types).

A format module declares:
    NAME      the name in `export.formats` and names.json ("onnx")
    ENTRY     the file or folder it writes inside the export folder ("model.onnx")
    TITLE     how messages call it ("ONNX")
    NEEDS_TENSORFLOW    whether `open` imports TensorFlow (predict prefers formats that don't)
    write(fn, info, settings, path) -> engine    write the artifact at `path` (settings: the
              spec's `export` section) and return a function running the written artifact
              (input batch -> logits), for verification
    finish(path, info, spec, entries)    add what needs names.json's entries (netspec.json)
    read_names(path, info) -> {param name: entry}    the parameters as read back from the
              written artifact (names.json), after checking its inputs and outputs
    recognizes(path) -> bool     whether `path` is an artifact of this format
    open(path) -> Artifact       load it for `netspec predict`, without running foreign code
Heavy libraries (TensorFlow, onnx, onnxruntime) are imported inside those functions, so the
spec language can list the formats without importing any of them.
"""

from netspec.export.formats import onnx, saved_model

FORMATS = {module.NAME: module for module in (saved_model, onnx)}
