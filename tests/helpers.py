"""The one way tests write spec files: a YAML text or a dict, optionally with sections merged."""

from __future__ import annotations

import json
from pathlib import Path

import yaml


def write_spec(folder: Path, spec: str | dict, name: str = "spec", **sections) -> Path:
    """Write `spec` as `folder/<name>.yaml` and return its path.

    A dict gets `sections` merged in (one level deep: `train={"epochs": 2}` keeps the other
    train fields); a text is written as is.
    """
    path = Path(folder) / (name if name.endswith(".yaml") else f"{name}.yaml")
    if isinstance(spec, str):
        if sections:
            raise TypeError("sections can only be merged into a dict spec")
        path.write_text(spec)
        return path
    doc = json.loads(json.dumps(spec))
    for key, value in sections.items():
        doc[key] = {**doc[key], **value} if isinstance(value, dict) and key in doc else value
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def load_spec(folder: Path, spec: str | dict, name: str = "spec", **sections):
    """write_spec, then netspec.spec.load: the resolved Spec."""
    from netspec.spec import load

    return load(write_spec(folder, spec, name, **sections))
