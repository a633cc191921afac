"""Load a spec with overrides through the Python API and print its layers, or its errors.

python examples/inspect_spec.py specs/cnn.yaml layers.conv1.filters=12
"""

import sys

from netspec.spec import SpecError, load
from netspec.spec.summary import summarize


def main(path: str, *overrides: str) -> int:
    try:
        spec = load(path, overrides)
    except SpecError as err:
        for diagnostic in err.diagnostics:
            print(diagnostic.render())
        return 1
    report = summarize(spec)
    for layer in report["layers"]:
        print(f"{layer['name']:<12} {layer['output_shape']!s:<14} {layer['params']:>9,}")
    print(f"{'total':<27} {report['params']:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
