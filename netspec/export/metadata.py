"""What an exported artifact says about itself, so `netspec predict` needs nothing else.

ONNX carries it as `metadata_props` (string values; lists and mappings as JSON); a SavedModel
as `netspec.json` inside its directory. No timestamps: exporting the same run twice must give
byte-identical ONNX.
"""

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

SIDECAR = "netspec.json"


@dataclass(frozen=True)
class ArtifactInfo:
    netspec_version: str
    spec_name: str
    spec_hash: str
    source: str  # absolute path of the run directory (or spec file, for untrained weights)
    class_names: list[str]
    input_name: str
    input_shape: list[int]  # one example, without the batch dimension
    input_dtype: str  # "float32" or "uint8"; float32 whenever the graph takes scaled values
    input_scale: dict | None  # {"from": [lo, hi], "to": [lo, hi]} or None (no scaling)
    preprocessing: bool  # True: the graph scales raw inputs itself; False: feed scaled inputs

    def scale(self, x):
        """Raw values -> the range the graph expects (identity when the graph scales itself)."""
        if self.preprocessing or self.input_scale is None:
            return x
        (a, b), (c, d) = self.input_scale["from"], self.input_scale["to"]
        return (x - a) * ((d - c) / (b - a)) + c

    def to_props(self) -> dict[str, str]:
        return {f.name: _encode(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_props(cls, props: dict[str, str]) -> "ArtifactInfo":
        return cls(
            **{
                f.name: props[f.name] if f.type is str else json.loads(props[f.name])
                for f in fields(cls)
            }
        )

    def write_sidecar(self, directory: Path) -> None:
        (directory / SIDECAR).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read_sidecar(cls, directory: Path) -> "ArtifactInfo":
        return cls(**json.loads((directory / SIDECAR).read_text()))


def _encode(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
