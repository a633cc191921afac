from pathlib import Path

from netspec.spec import load


def spec_from(folder: Path, text: str, name: str = "spec.yaml"):
    path = folder / name
    path.write_text(text)
    return load(path)
