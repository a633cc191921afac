"""The spec corpus and the shipped specs, and the `# tag: value` comments specs carry."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
INVALID = sorted((HERE / "invalid").glob("*.yaml"))
VALID = sorted((HERE / "valid").glob("*.yaml"))
SPECS = HERE.parents[1] / "specs"
EXAMPLES = HERE.parents[1] / "examples"
SHIPPED = sorted(SPECS.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))


def comments(spec: Path, tag: str) -> list[str]:
    """The values of the spec's `# TAG: value` comment lines (`# set: train.epochs=3`)."""
    prefix = f"# {tag}: "
    text = spec.read_bytes().decode("utf-8", "replace")
    return [line[len(prefix) :] for line in text.splitlines() if line.startswith(prefix)]
