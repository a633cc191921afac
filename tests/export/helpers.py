"""Shared by the export tests and the child processes they start (`python -c`)."""

import sys
from pathlib import Path

import numpy as np

from tests.helpers import write_spec  # noqa: F401 - re-exported for the export tests

EXPORT_FILES = [  # what an export of both formats writes, sorted
    "model.onnx",
    "names.json",
    "saved_model/fingerprint.pb",
    "saved_model/netspec.json",
    "saved_model/saved_model.pb",
    "saved_model/variables/variables.data-00000-of-00001",
    "saved_model/variables/variables.index",
    "verification.json",
]

SMALL = """\
name: small
input: {shape: [12, 12, 1], scale: unit}
layers:
  - {type: conv2d, name: conv1, filters: 4, kernel: 3, padding: reflect, activation: relu}
  - {type: batch_norm, name: bn1}
  - {type: max_pool, size: 2}
  - {type: conv2d, name: conv2, filters: 6, kernel: 3, stride: 2}
  - {type: flatten}
  - {type: dense, name: fc1, units: 16, activation: relu}
  - {type: dropout, rate: 0.25}
  - {type: dense, name: logits, units: 4}
train: {seed: 3}
data: {source: synthetic, classes: 4, examples: 120, split: {train: 0.5, test: 0.5}}
"""
SMALL_PARAMS = [
    "conv1/kernel",
    "conv1/bias",
    "bn1/gamma",
    "bn1/beta",
    "bn1/moving_mean",
    "bn1/moving_variance",
    "conv2/kernel",
    "conv2/bias",
    "fc1/kernel",
    "fc1/bias",
    "logits/kernel",
    "logits/bias",
]

# A different network over the same input, built in the same process as SMALL.
OTHER = """\
name: other
input: {name: pixels, shape: [12, 12, 1], scale: centered}
layers:
  - {type: flatten}
  - {type: dense, name: hidden, units: 8, activation: tanh}
  - {type: dropout, rate: 0.5}
  - {type: batch_norm, name: norm}
  - {type: dense, name: logits, units: 4}
train: {seed: 5}
data: {source: synthetic, classes: 4, examples: 120, split: {train: 0.5, test: 0.5}}
"""

# A residual network: blocks with a projection shortcut, a repeated identity block, a concat
# branch, and a dropout inside a block.
RESIDUAL = """\
name: residual
input: {shape: [12, 12, 1], scale: unit}
blocks:
  down:
    params: {filters: int}
    layers:
      - {type: conv2d, name: conv_a, filters: "${filters}", kernel: 3, stride: 2, use_bias: false}
      - {type: batch_norm, name: bn_a}
      - {type: activation, name: relu_a, activation: relu}
      - {type: conv2d, name: proj, filters: "${filters}", kernel: 1, stride: 2, inputs: [input]}
      - {type: add, name: sum, inputs: [proj, relu_a]}
  basic:
    params: {filters: int, rate: {type: float, default: 0.1}}
    layers:
      - {type: separable_conv2d, name: conv_a, filters: "${filters}", kernel: 3}
      - {type: dropout, name: drop, rate: "${rate}"}
      - {type: layer_norm, name: norm}
      - {type: add, name: sum, inputs: [input, norm]}
layers:
  - {type: conv2d, name: stem, filters: 4, kernel: 3, padding: reflect, activation: relu}
  - {type: block, block: down, name: stage1, with: {filters: 8}}
  - {type: block, block: basic, name: stage2, repeat: 2, with: {filters: 8}}
  - {type: depthwise_conv2d, name: side, kernel: 3, inputs: [stage1]}
  - {type: concat, name: both, inputs: [stage2, side]}
  - {type: upsample, name: up, size: 2, interpolation: bilinear}
  - {type: global_avg_pool, name: gap}
  - {type: dense, name: logits, units: 4}
train: {seed: 5}
data: {source: synthetic, classes: 4, examples: 120, split: {train: 0.5, test: 0.5}}
"""


def build(spec_path: Path, overrides=()):
    """(spec, model) with every parameter set to distinct non-trivial values.

    Fresh biases are zero and batch-norm statistics 0/1: equal values that a converter could
    fold or merge, and that would hide a swapped mapping. Set them all apart, reproducibly.
    """
    from netspec.compile import build_model
    from netspec.spec import load

    spec = load(spec_path, overrides)
    model = build_model(spec)
    rng = np.random.default_rng(7)
    for variable in model.variables:
        if "seed_generator" in variable.path:
            continue
        value = rng.uniform(-0.5, 0.5, variable.shape)
        if variable.path.endswith("variance"):
            value = value + 1.0
        variable.assign(value.astype(variable.dtype))
    return spec, model


def export(spec_path: Path, out_dir: Path, overrides=()):
    """What `netspec export SPEC` does, on `build`'s weights."""
    from netspec.export import export_model
    from netspec.export.source import verification_batch

    spec, model = build(spec_path, overrides)
    real_batch, class_names, notes = verification_batch(spec)
    return export_model(
        spec,
        model,
        Path(out_dir),
        spec.export,
        source=str(Path(spec_path).resolve()),
        class_names=class_names,
        real_batch=real_batch,
        notes=tuple(notes),
    )


if __name__ == "__main__":  # python -m tests.export.helpers SPEC OUT
    export(Path(sys.argv[1]), Path(sys.argv[2]))
