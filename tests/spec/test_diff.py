"""netspec.spec.diff: layers paired by full name, settings as paths, and the warm-start plan
(which variables of A can initialise B). No TensorFlow: everything here is static."""

from __future__ import annotations

import json

import pytest
import yaml

from netspec.errors import UserError
from netspec.spec import load
from netspec.spec.diff import ABSENT, Change, diff, init_from_yaml, render_text
from tests.helpers import write_spec

DATA = {"source": "synthetic", "classes": 3, "examples": 30}
CNN = {
    "name": "small",
    "input": {"shape": [8, 8, 1]},
    "layers": [
        {"type": "conv2d", "name": "conv1", "filters": 4, "kernel": 3, "activation": "relu"},
        {"type": "batch_norm", "name": "bn1"},
        {"type": "flatten"},
        {"type": "dense", "name": "hidden", "units": 16, "activation": "relu"},
        {"type": "dense", "name": "logits", "units": 3},
    ],
    "data": DATA,
}


def spec(tmp_path, doc, name):
    return load(write_spec(tmp_path, doc, name))


def with_layers(layers, **more):
    return {**CNN, "layers": layers, **more}


def plan_of(d) -> dict:
    return {step.name: step.reason for step in d.plan}


def test_the_same_spec_has_no_differences_and_everything_transfers(tmp_path):
    d = diff(spec(tmp_path, CNN, "a"), spec(tmp_path, CNN, "b"))
    assert d.same and not d.notes and not d.unused
    assert all(step.transfer for step in d.plan)
    assert [step.name for step in d.plan] == [
        "conv1/kernel",
        "conv1/bias",
        "bn1/gamma",
        "bn1/beta",
        "bn1/moving_mean",
        "bn1/moving_variance",
        "hidden/kernel",
        "hidden/bias",
        "logits/kernel",
        "logits/bias",
    ]
    assert d.init_from_layers == ["conv1", "bn1", "hidden", "logits"]
    assert "no differences in the network or the settings" in render_text(d)


def test_widening_hidden_keeps_logits_bias_but_not_logits_kernel(tmp_path):
    wide = with_layers([*CNN["layers"][:3], {**CNN["layers"][3], "units": 32}, CNN["layers"][4]])
    d = diff(spec(tmp_path, CNN, "a"), spec(tmp_path, wide, "b"))
    assert not d.added and not d.removed
    changed = {change.name: change for change in d.changed}
    assert list(changed) == ["hidden", "logits"]
    assert changed["hidden"].fields == (Change("units", 16, 32),)
    assert changed["hidden"].variables == (
        Change("kernel", [256, 16], [256, 32]),
        Change("bias", [16], [32]),
    )
    assert changed["logits"].fields == ()
    assert changed["logits"].variables == (Change("kernel", [16, 3], [32, 3]),)
    plan = plan_of(d)
    assert plan["hidden/kernel"] == "shape [256, 16] in A, [256, 32] in B"
    assert plan["hidden/bias"] == "shape [16] in A, [32] in B"
    assert plan["logits/kernel"] == "shape [16, 3] in A, [32, 3] in B"
    fresh = {"hidden/kernel", "hidden/bias", "logits/kernel"}
    assert all(plan[name] is None for name in plan if name not in fresh)
    assert d.init_from_layers == ["conv1", "bn1", "logits/bias"]
    text = render_text(d)
    assert "~ hidden (dense): units 16 → 32; variables kernel [256, 16] → [256, 32]" in text
    assert "fresh  logits/kernel" in text and "load   logits/bias" in text


def test_a_named_layer_inserted_shifts_nothing_else(tmp_path):
    extra = {"type": "dense", "name": "extra", "units": 16, "activation": "relu"}
    b = with_layers([*CNN["layers"][:4], extra, CNN["layers"][4]])
    d = diff(spec(tmp_path, CNN, "a"), spec(tmp_path, b, "b"))
    assert [(layer.name, layer.type) for layer in d.added] == [("extra", "dense")]
    assert not d.removed and not d.notes
    [logits] = d.changed
    assert logits.name == "logits" and logits.variables == ()
    assert logits.fields == (Change("inputs", ["hidden"], ["extra"]),)
    plan = plan_of(d)
    assert plan["extra/kernel"] == plan["extra/bias"] == "not in A"
    assert all(reason is None for name, reason in plan.items() if not name.startswith("extra/"))


def test_an_unnamed_layer_inserted_before_unnamed_ones_is_warned(tmp_path):
    """A's dense_1 (relu) and dense_2 (tanh); B inserts an unnamed tanh dense first, so B's
    dense_1 is A's dense_2 and B's dense_2 is A's dense_1: same shapes, different layers."""
    relu = {"type": "dense", "units": 16, "activation": "relu"}
    tanh = {"type": "dense", "units": 16, "activation": "tanh"}
    head = [{"type": "flatten"}]
    logits = {"type": "dense", "name": "logits", "units": 3}
    a = spec(tmp_path, with_layers([*head, relu, tanh, logits]), "a")
    b = spec(tmp_path, with_layers([*head, tanh, relu, tanh, logits]), "b")
    d = diff(a, b)
    notes = {note.layers: note for note in d.notes}
    assert set(notes) == {("dense_1", "dense_2"), ("dense_2", "dense_1"), ("dense_3", "dense_2")}
    assert all(note.kind == "automatic-name" for note in d.notes)
    assert notes[("dense_2", "dense_1")].message.startswith(
        "B's 'dense_2' (automatic name) looks like A's 'dense_1' (same type and fields); by name "
        "it pairs with A's 'dense_2', a different layer"
    )
    assert "name the dense layers in B" in notes[("dense_2", "dense_1")].hint
    plan = plan_of(d)
    # same shapes, but pairing them by name would load the wrong layer
    assert (
        plan["dense_1/kernel"]
        == "'dense_1' of B is likely 'dense_2' of A (automatic names shifted)"
    )
    assert (
        plan["dense_2/kernel"]
        == "'dense_2' of B is likely 'dense_1' of A (automatic names shifted)"
    )
    assert plan["dense_3/kernel"] == "not in A"
    assert d.init_from_layers == ["logits"]
    assert render_text(d).count("warning: ") == 3


def test_an_unnamed_layer_that_changed_in_place_is_warned_without_a_guess(tmp_path):
    b = with_layers([*CNN["layers"][:2], {"type": "flatten"}, *CNN["layers"][3:]])
    a = with_layers([*CNN["layers"][:2], {"type": "flatten"}, *CNN["layers"][3:]])
    a["layers"][0] = {**a["layers"][0], "name": "conv1"}
    b["layers"].insert(3, {"type": "dropout", "rate": 0.5})
    a["layers"].insert(3, {"type": "dropout", "rate": 0.25})
    d = diff(spec(tmp_path, a, "a"), spec(tmp_path, b, "b"))
    [note] = d.notes
    assert note.layers == ("dropout_1",)
    assert note.message.startswith(
        "'dropout_1' (automatic name) differs between A and B (rate 0.25 → 0.5)"
    )


def test_a_renamed_layer_is_removed_and_added_with_a_hint(tmp_path):
    b = with_layers([*CNN["layers"][:3], {**CNN["layers"][3], "name": "fc"}, CNN["layers"][4]])
    d = diff(spec(tmp_path, CNN, "a"), spec(tmp_path, b, "b"))
    assert [layer.name for layer in d.removed] == ["hidden"]
    assert [layer.name for layer in d.added] == ["fc"]
    [note] = d.notes
    assert note.kind == "renamed" and note.layers == ("hidden", "fc")
    assert "renamed? layers match by name" in note.message
    assert note.hint == "to load the weights of A's 'hidden', name the layer 'hidden' in B"
    assert plan_of(d)["fc/kernel"] == "not in A (renamed from 'hidden'?)"
    assert d.unused == ["hidden/kernel", "hidden/bias"]


BLOCKS = {
    "name": "blocky",
    "input": {"shape": [8, 8, 1]},
    "blocks": {
        "unit": {
            "params": {"filters": "int"},
            "layers": [
                {"type": "conv2d", "name": "conv_a", "filters": "${filters}", "kernel": 3},
                {"type": "batch_norm", "name": "bn_a"},
                {"type": "add", "name": "sum", "inputs": ["input", "bn_a"]},
            ],
        }
    },
    "layers": [
        {"type": "conv2d", "name": "stem", "filters": 4, "kernel": 3},
        {"type": "block", "block": "unit", "name": "stage", "repeat": 2, "with": {"filters": 4}},
        {"type": "global_avg_pool", "name": "gap"},
        {"type": "dense", "name": "logits", "units": 3},
    ],
    "data": DATA,
}


def test_a_repeated_block_grows_by_one_instance(tmp_path):
    three = json.loads(json.dumps(BLOCKS))
    three["layers"][1]["repeat"] = 3
    a, b = spec(tmp_path, BLOCKS, "a"), spec(tmp_path, three, "b")
    d = diff(a, b)
    assert [layer.name for layer in d.added] == ["stage_3/conv_a", "stage_3/bn_a", "stage_3/sum"]
    placement, gap = d.changed
    assert (placement.name, placement.type, placement.fields) == (
        "stage",
        "block",
        (Change("repeat", 2, 3),),
    )
    assert gap.name == "gap" and gap.fields == (Change("inputs", ["stage_2/sum"], ["stage_3/sum"]),)
    plan = plan_of(d)
    new = [name for name in plan if name.startswith("stage_3/")]
    assert new == [
        "stage_3/conv_a/kernel",
        "stage_3/conv_a/bias",
        "stage_3/bn_a/gamma",
        "stage_3/bn_a/beta",
        "stage_3/bn_a/moving_mean",
        "stage_3/bn_a/moving_variance",
    ]
    assert all(plan[name] == "not in A" for name in new)
    assert all(reason is None for name, reason in plan.items() if name not in new)
    assert d.init_from_layers == ["stem", "stage_1", "stage_2", "logits"]


def test_a_changed_block_definition_loads_the_instances_layer_by_layer(tmp_path):
    wider = json.loads(json.dumps(BLOCKS))
    wider["blocks"]["unit"]["layers"][1]["scale"] = False
    d = diff(spec(tmp_path, BLOCKS, "a"), spec(tmp_path, wider, "b"))
    assert [c.name for c in d.changed] == ["stage_1/bn_a", "stage_2/bn_a"]
    # bn_a lost gamma: its other variables still load, one by one
    assert d.init_from_layers == [
        "stem",
        "stage_1/conv_a",
        "stage_1/bn_a/beta",
        "stage_1/bn_a/moving_mean",
        "stage_1/bn_a/moving_variance",
        "stage_2/conv_a",
        "stage_2/bn_a/beta",
        "stage_2/bn_a/moving_mean",
        "stage_2/bn_a/moving_variance",
        "logits",
    ]


def test_other_sections_are_flattened_paths(tmp_path):
    b = {**CNN, "train": {"epochs": 7, "optimizer": "sgd"}, "data": {**DATA, "examples": 60}}
    d = diff(spec(tmp_path, CNN, "a"), spec(tmp_path, b, "b"))
    changes = {change.path: change for change in d.sections}
    assert changes["train.epochs"].b == 7
    assert (changes["train.optimizer.type"].a, changes["train.optimizer.type"].b) == ("adam", "sgd")
    assert changes["train.optimizer.beta_1"].b is ABSENT
    assert changes["data.examples"] == Change("data.examples", 30, 60)
    assert not d.changed and all(step.transfer for step in d.plan)
    doc = json.loads(json.dumps(d.to_json()))
    assert {"path": "train.optimizer.beta_1", "a": 0.9} in doc["sections"]


def test_json_holds_the_whole_diff(tmp_path):
    wide = with_layers([*CNN["layers"][:3], {**CNN["layers"][3], "units": 32}, CNN["layers"][4]])
    doc = diff(spec(tmp_path, CNN, "a"), spec(tmp_path, wide, "b")).to_json()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["transfer"]["variables"] == 7 and doc["transfer"]["of"] == 10
    step = next(s for s in doc["plan"] if s["variable"] == "logits/kernel")
    assert step == {
        "variable": "logits/kernel",
        "shape": [32, 3],
        "in_a": [16, 3],
        "transfer": False,
        "reason": "shape [16, 3] in A, [32, 3] in B",
    }


@pytest.mark.parametrize("doc", [CNN, BLOCKS], ids=["stack", "blocks"])
def test_the_init_from_section_validates_as_part_of_b(tmp_path, doc):
    b_doc = json.loads(json.dumps(doc))
    if doc is CNN:
        b_doc["layers"][3]["units"] = 32
    else:
        b_doc["layers"][1]["repeat"] = 3
    b = spec(tmp_path, b_doc, "b")
    d = diff(spec(tmp_path, doc, "a"), b)
    text = b.path.read_text() + init_from_yaml(d.init_from("runs/a/1"), "a comment")
    (tmp_path / "b_init.yaml").write_text(text)
    loaded = load(tmp_path / "b_init.yaml")
    assert loaded.init_from == {"run": "runs/a/1", "layers": d.init_from_layers, "freeze": False}
    assert yaml.safe_load(init_from_yaml(d.init_from("x")))["init_from"]["run"] == "x"


def test_init_from_takes_variables_and_globs_over_them(tmp_path):
    doc = {**CNN, "init_from": {"run": "x", "layers": ["logits/bias", "*/moving_*", "conv1"]}}
    assert load(write_spec(tmp_path, doc, "ok")).init_from["layers"][0] == "logits/bias"
    bad = {**CNN, "init_from": {"run": "x", "layers": ["logits/biass"]}}
    with pytest.raises(UserError) as err:
        load(write_spec(tmp_path, bad, "bad"))
    [problem] = err.value.diagnostics
    assert problem.message == "layer 'logits' has no variable 'biass'"
    assert problem.hint == "did you mean 'bias'? its variables: kernel, bias"
