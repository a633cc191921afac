"""Property: whatever a spec says, validation answers with diagnostics and never crashes, and
whatever it accepts can be summarized.

Valid specs are mutated (keys deleted or added, values replaced by wrong types and by zero,
negative and huge numbers, values nested or un-nested, layers shuffled and duplicated), written
as YAML and loaded with `netspec.spec.load`, the function `netspec validate` calls; so are
random `--set` overrides. A few mutants also go through the real command.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from netspec.spec import SpecError, load
from netspec.spec.compose import load_composed
from netspec.spec.summary import summarize
from tests.specs.spec_corpus import SHIPPED, SPECS, VALID

SEEDS = [load_composed(path).data for path in SHIPPED + VALID]
KEYS = [
    "type",
    "name",
    "units",
    "filters",
    "kernel",
    "stride",
    "padding",
    "dilation",
    "size",
    "rate",
    "keep_prob",
    "shape",
    "activation",
    "alpha",
    "schedule",
    "initial",
    "floor",
    "value",
    "values",
    "boundaries",
    "decay_steps",
    "source",
    "split",
    "train",
    "validation",
    "test",
    "labels",
    "label_smoothing",
    "early_stopping",
    "monitor",
    "epochs",
    "layers",
    "input",
    "scale",
    "from",
    "to",
    "init_from",
    "run",
    "limits",
    "params",
    "extends",
]
NUMBERS = st.one_of(
    st.integers(-3, 40),
    st.sampled_from([10**7, 10**12, -(10**12), 2**64]),
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from([0.0, 1.0, 1e300]),
)
WORDS = st.sampled_from(
    [
        "same",
        "valid",
        "reflect",
        "relu",
        "softmax",
        "conv2d",
        "dense",
        "flatten",
        "reshape",
        "dropout",
        "max_pool",
        "mnist_5k",
        "digits",
        "synthetic",
        "idx",
        "val_loss",
        "piecewise",
        "cosine",
        "adam",
        "momentum",
        "one_hot",
        "unit",
        "none",
        "conv1",
        "logits",
        "",
    ]
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, WORDS, st.text(max_size=6))
JUNK = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=3),
)


def paths(node, here=()):
    yield here
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        yield from paths(value, here + (key,))


def at(doc, path):
    for part in path:
        doc = doc[part]
    return doc


def mutate(doc, data):
    """`doc` with one random change; the root is a one-entry mapping so it can be replaced."""
    box = {"doc": doc}
    path = ("doc",) + data.draw(st.sampled_from(list(paths(doc))), label="path")
    parent, key = at(box, path[:-1]), path[-1]
    value = parent[key]
    change = data.draw(
        st.sampled_from(
            ["delete", "replace", "add_key", "nest", "unnest", "shuffle", "duplicate", "number"]
        ),
        label="change",
    )
    if change == "delete" and len(path) > 1:
        del parent[key]
    elif change == "replace":
        parent[key] = data.draw(JUNK)
    elif change == "add_key" and isinstance(value, dict):
        value[data.draw(st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=6)))] = (
            data.draw(JUNK)
        )
    elif change == "nest":
        parent[key] = data.draw(st.sampled_from([[value], {"value": value}]))
    elif change == "unnest" and isinstance(value, (list, dict)) and value:
        parent[key] = data.draw(
            st.sampled_from(list(value.values() if isinstance(value, dict) else value))
        )
    elif change == "shuffle" and isinstance(value, list):
        parent[key] = data.draw(st.permutations(value))
    elif change == "duplicate" and isinstance(value, list) and value:
        value.insert(
            data.draw(st.integers(0, len(value))), copy.deepcopy(data.draw(st.sampled_from(value)))
        )
    elif change == "number":
        parent[key] = data.draw(NUMBERS)
    return box["doc"]


@st.composite
def mutated_specs(draw):
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        doc = mutate(doc, draw(st.data()))
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "mutant.yaml"


@settings(max_examples=200, deadline=None)
@given(text=mutated_specs())
def test_validation_never_crashes_and_what_it_accepts_summarizes(text, spec_file):
    spec_file.write_text(text, encoding="utf-8")
    try:
        spec = load(spec_file)
    except SpecError as err:
        assert err.diagnostics and all(d.location for d in err.diagnostics)
        return
    report = summarize(spec)
    assert [layer["name"] for layer in report["layers"]] == [n.name for n in spec.graph.nodes()]
    assert report["params"] <= spec.limits["params"]


OVERRIDES = st.builds(
    "{}{}{}".format,
    st.lists(
        st.sampled_from(
            [
                "layers",
                "train",
                "data",
                "input",
                "conv1",
                "logits",
                "fc1",
                "0",
                "-1",
                "9",
                "",
                "epochs",
                "shape",
                "filters",
                "split",
            ]
        ),
        min_size=1,
        max_size=4,
    ).map(".".join),
    st.sampled_from(["=", "", "=="]),
    st.one_of(
        st.sampled_from(
            [
                "3",
                "",
                "[1, 2",
                "{a: 1}",
                "null",
                "*a",
                "'x",
                "1e-3",
                ".nan",
                "a: b",
                "!!python/none",
                "\x00",
            ]
        ),
        st.text(max_size=5),
    ),
)


@settings(max_examples=100, deadline=None)
@given(overrides=st.lists(OVERRIDES, min_size=1, max_size=3))
def test_overrides_never_crash(overrides):
    try:
        load(SPECS / "cnn.yaml", overrides)
    except SpecError as err:
        assert err.diagnostics


@settings(max_examples=6, deadline=None)
@given(text=mutated_specs())
def test_the_cli_answers_mutants_without_a_traceback(text, spec_file, netspec_process):
    spec_file.write_text(text, encoding="utf-8")
    for command in ("validate", "summary"):
        result = netspec_process(command, spec_file)
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
