"""What an exported artifact says about itself, so `netspec predict` needs nothing else.

ONNX carries it as `metadata_props` (string values; lists and mappings as JSON); a SavedModel
as `netspec.json` inside its directory, which also embeds the resolved spec: predict rebuilds
the network from it and reads only the variables, never the SavedModel's graph. No
timestamps: exporting the same run twice must give byte-identical ONNX.

Metadata can be edited by anyone holding the file, so reading it checks every field
(`ArtifactInfo.parse`): a malformed value is a one-line error, not a crash later.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from netspec import files
from netspec.data.sources.base import RESIZE_MODES
from netspec.errors import UserError

SIDECAR = "netspec.json"
OUTPUT_NAMES = ("logits", "probabilities")
INPUT_DTYPES = ("float32", "uint8")
OPTIONAL = {"input_resize"}  # absent from exports made before it existed
REEXPORT = "re-export it with `netspec export RUN` (netspec predicts only from its own exports)"


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
    input_resize: str = "stretch"  # how images of another size are fitted (data.resize)

    def scale(self, x):
        """Raw values -> the range the graph expects (identity when the graph scales itself)."""
        if self.preprocessing or self.input_scale is None:
            return x
        (a, b), (c, d) = self.input_scale["from"], self.input_scale["to"]
        return (x - a) * ((d - c) / (b - a)) + c

    def to_props(self) -> dict[str, str]:
        return {f.name: _encode(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_props(cls, props: dict[str, str], where: Path) -> ArtifactInfo:
        values = {}
        for f in fields(cls):
            if f.name not in props and f.name in OPTIONAL:
                continue
            if f.name not in props:
                raise UserError(
                    f"{where}: has no netspec metadata ({f.name} is missing)", hint=REEXPORT
                )
            try:
                values[f.name] = props[f.name] if f.type == "str" else json.loads(props[f.name])
            except ValueError:
                raise UserError(
                    f"{where}: metadata {f.name} is not valid JSON", hint=REEXPORT
                ) from None
        return cls.parse(values, where)

    def write_sidecar(self, directory: Path, **extra) -> None:
        files.write_json(directory / SIDECAR, {**asdict(self), **extra})

    @classmethod
    def read_sidecar(cls, directory: Path) -> tuple[ArtifactInfo, dict]:
        """(info, the other entries: `spec` and `checkpoint_keys`, absent from exports made
        before netspec embedded them)."""
        path = directory / SIDECAR
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"{directory}: has no {SIDECAR}", hint=REEXPORT) from None
        except (OSError, ValueError) as err:
            raise UserError(f"{path}: not readable JSON ({err})", hint=REEXPORT) from None
        if not isinstance(values, dict):
            raise UserError(f"{path}: not a netspec metadata file", hint=REEXPORT)
        names = {f.name for f in fields(cls)}
        extra = {key: value for key, value in values.items() if key not in names}
        given = {name: values[name] for name in names if name in values}
        return cls.parse({**{name: None for name in names - OPTIONAL}, **given}, path), extra

    @classmethod
    def parse(cls, values: dict, where: Path) -> ArtifactInfo:
        """Check every field's type and value; UserError naming the first bad one."""

        def bad(name: str, why: str):
            raise UserError(f"{where}: metadata {name} {why}", hint=REEXPORT)

        for name in ("netspec_version", "spec_name", "spec_hash", "source", "input_name"):
            if not isinstance(values.get(name), str) or not values[name]:
                bad(name, "must be a non-empty string")
        names = values.get("class_names")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            bad("class_names", "must be a non-empty list of strings")
        shape = values.get("input_shape")
        if not (
            isinstance(shape, list)
            and len(shape) == 3
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
        ):
            bad("input_shape", f"must be [height, width, channels] of positive ints, got {shape}")
        if values.get("input_dtype") not in INPUT_DTYPES:
            bad("input_dtype", f"must be one of {', '.join(INPUT_DTYPES)}")
        if not isinstance(values.get("preprocessing"), bool):
            bad("preprocessing", "must be true or false")
        if values.get("input_resize", "stretch") not in RESIZE_MODES:
            bad("input_resize", f"must be one of {', '.join(RESIZE_MODES)}")
        scale = values.get("input_scale")
        if scale is not None:
            if not isinstance(scale, dict) or set(scale) != {"from", "to"}:
                bad("input_scale", "must be {from: [lo, hi], to: [lo, hi]} or null")
            for key in ("from", "to"):
                pair = scale[key]
                if not (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(_finite_number(v) for v in pair)
                    and pair[0] < pair[1]
                ):
                    bad(f"input_scale.{key}", f"must be two finite numbers lo < hi, got {pair}")
        return cls(**values)


def _finite_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _encode(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
