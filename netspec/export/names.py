"""names.json: every parameter's stable name, shape and dtype, as read back from each artifact.

The entries are taken from the written files (each format's `read_names`: ONNX initializers,
the SavedModel's restored variables and checkpoint keys), not from what we meant to write, and
must agree with the Keras model; any drift is a bug and stops the export before anything is
moved into place.
"""

from __future__ import annotations

from pathlib import Path

from netspec.export.metadata import OUTPUT_NAMES, ArtifactInfo


def names_lock(params: list, info: ArtifactInfo, written: dict[str, Path]) -> dict:
    """`written`: format name -> the artifact's path. Each format's `read_names` returns what it
    holds by name (ONNX also its anonymous constants) and rejects what must not be there."""
    from netspec.export.formats import FORMATS

    entries = [
        {"name": p.name, "shape": list(p.shape), "dtype": p.dtype, "trainable": p.trainable}
        for p in params
    ]
    lock = {
        "spec": {"name": info.spec_name, "hash": info.spec_hash},
        "input": {"name": info.input_name, "shape": [None, *info.input_shape]},
        "outputs": list(OUTPUT_NAMES),
        "parameters": entries,
    }
    for name, path in written.items():
        fmt = FORMATS[name]
        found = fmt.read_names(path, info)
        for entry in entries:
            expect(entry["name"] in found, f"{fmt.TITLE} has no parameter named {entry['name']}")
            written_entry = entry[name] = found.pop(entry["name"])
            same = (
                written_entry["shape"] == entry["shape"]
                and written_entry["dtype"] == entry["dtype"]
            )
            expect(same, f"{fmt.TITLE} {entry['name']}: {written_entry} differs from Keras")
    return lock


def expect_io(fmt: str, info: ArtifactInfo, inputs: list[str], outputs: list[str]) -> None:
    expect(inputs == [info.input_name], f"{fmt} inputs are {inputs}, not [{info.input_name!r}]")
    expect(sorted(outputs) == sorted(OUTPUT_NAMES), f"{fmt} outputs are {outputs}")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(f"names lock: {message}")
