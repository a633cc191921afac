"""The static summary agrees with Keras: parameter counts and output shapes, layer by layer
(inside block instances too, by full name), for every shipped spec and every valid spec of
the corpus."""

from __future__ import annotations

import math

import pytest

from netspec.spec import load
from netspec.spec.summary import summarize
from tests.specs.spec_corpus import SHIPPED, VALID, comments


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED + VALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_summary_matches_the_keras_model(path):
    from netspec.compile import build_model
    from netspec.compile.model import spec_layers

    spec = load(path, comments(path, "set"))
    report = summarize(spec)
    model = build_model(spec)

    assert model.count_params() == report["params"]
    assert sum(math.prod(w.shape) for w in model.trainable_weights) == report["trainable_params"]
    layers = spec_layers(model)
    for info in spec.layer_infos():
        layer = layers[info.name]
        assert layer.count_params() == info.params, info.name
        assert tuple(layer.output.shape) == (None, *info.output_shape), info.name
