"""compose: `extends:` deep merge with locations into the right file, and `--set` overrides."""

from __future__ import annotations

import pytest

from netspec.spec import SpecError, load
from netspec.spec.compose import apply_override, load_composed
from netspec.spec.diagnostics import Location
from netspec.spec.yamlpos import load as load_yaml

BASE = """\
input: {shape: [28, 28, 1]}
layers:
  - {type: conv2d, name: conv1, filters: 6, kernel: 5}
  - {type: flatten}
  - {type: dense, name: logits, units: 10}
train:
  optimizer: {type: momentum, momentum: 0.9}
  epochs: 5
"""
CHILD = """\
extends: base.yaml
train:
  optimizer: {nesterov: true}
  batch_size: 32
layers:
  - {type: flatten}
  - {type: dense, name: logits, units: 10}
"""


@pytest.fixture
def child(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "child.yaml").write_text(CHILD)
    return tmp_path / "child.yaml"


def test_mappings_merge_and_lists_replace(child):
    data = load_composed(child).data
    assert data["train"] == {
        "optimizer": {"type": "momentum", "momentum": 0.9, "nesterov": True},
        "epochs": 5,
        "batch_size": 32,
    }
    assert data["layers"] == [{"type": "flatten"}, {"type": "dense", "name": "logits", "units": 10}]
    assert "extends" not in data


def test_locations_follow_the_values_into_the_file_that_wrote_them(child):
    doc = load_composed(child)
    base, mine = str(child.parent / "base.yaml"), str(child)
    assert doc.where(("train", "epochs")) == Location(base, 8, 11)
    assert doc.where(("train", "optimizer", "momentum")) == Location(base, 7, 41)
    assert doc.where(("train", "optimizer", "nesterov")) == Location(mine, 3, 25)
    assert doc.where(("layers", 1, "units")) == Location(mine, 7, 40)
    assert doc.where(("input", "shape")) == Location(base, 1, 16)
    assert not [p for p in doc.values if p[:2] == ("layers", 2)]  # the base's third layer


def test_errors_in_the_base_are_reported_in_the_base(child):
    (child.parent / "base.yaml").write_text(BASE.replace("epochs: 5", "epochs: 0"))
    with pytest.raises(SpecError) as caught:
        load(child)
    [error] = caught.value.diagnostics
    assert (error.dotted, error.location) == (
        "train.epochs",
        Location(str(child.parent / "base.yaml"), 8, 11),
    )


def test_a_spec_extending_itself_is_a_cycle(tmp_path):
    spec = tmp_path / "self.yaml"
    spec.write_text("extends: ./self.yaml\n")
    with pytest.raises(SpecError, match="extends cycle: self.yaml -> self.yaml"):
        load(spec)


def test_extends_must_be_a_path(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("extends: [a.yaml]\n")
    with pytest.raises(SpecError, match="extends: must be a file path"):
        load(spec)


def overridden(*overrides: str):
    doc = load_yaml(BASE, "base.yaml")
    for override in overrides:
        apply_override(doc, override)
    return doc


@pytest.mark.parametrize(
    "override, path, value",
    [
        ("train.epochs=3", ("train", "epochs"), 3),
        ("layers.conv1.filters=12", ("layers", 0, "filters"), 12),
        ("layers.2.units=32", ("layers", 2, "units"), 32),
        ("layers.-1.units=32", ("layers", 2, "units"), 32),
        ("layers.flatten_1.name=flat", ("layers", 1, "name"), "flat"),
        ("train.optimizer={type: sgd}", ("train", "optimizer"), {"type": "sgd"}),
        ("input.shape=[784]", ("input", "shape"), [784]),
        ("train.learning_rate=1e-3", ("train", "learning_rate"), 0.001),
        ("data.source=digits", ("data", "source"), "digits"),
        ("name=a=b", ("name",), "a=b"),
        ("train.early_stopping=", ("train", "early_stopping"), None),
    ],
)
def test_overrides_address_by_key_name_and_index(override, path, value):
    doc = overridden(override)
    target = doc.data
    for part in path:
        target = target[part]
    assert target == value
    assert doc.where(path) == Location(f"--set {override}")


def test_an_override_replaces_the_locations_below_it():
    doc = overridden("train.optimizer=adam")
    assert doc.where(("train", "optimizer", "momentum")) == Location("--set train.optimizer=adam")
    assert doc.where(("train", "epochs")) == Location("base.yaml", 8, 11)


def test_keys_an_override_creates_are_located_at_it():
    doc = overridden("data.augment.shift=0.1")
    assert doc.data["data"] == {"augment": {"shift": 0.1}}
    for path in (("data",), ("data", "augment"), ("data", "augment", "shift")):
        assert doc.where(path, key=True) == Location("--set data.augment.shift=0.1")


@pytest.mark.parametrize(
    "override, path, message",
    [
        ("train.epochs", "", "override 'train.epochs' is not of the form path=value"),
        ("=3", "", "is not of the form path=value"),
        ("layers.conv9.filters=3", "layers", "no item named 'conv9'"),
        ("layers.3.units=3", "layers", "index 3 is out of range (3 items)"),
        ("train.epochs.max=3", "train.epochs", "cannot set 'max': the value here is 5"),
        ("train.epochs=[1, 2", "", "invalid YAML: did not find expected ',' or ']'"),
        ("train.epochs=!!python/name:os.system", "", "is not allowed: specs are plain data"),
        ("name=\udcff", "", "character U+DCFF is not allowed"),  # an undecodable byte in argv
    ],
)
def test_bad_overrides_are_located_at_the_option(override, path, message):
    with pytest.raises(SpecError) as caught:
        overridden(override)
    [error] = caught.value.diagnostics
    assert error.location == Location(f"--set {override}")
    assert error.dotted == path and message in error.message


def test_unknown_layer_names_list_the_known_ones():
    with pytest.raises(SpecError) as caught:
        overridden("layers.conv9.filters=3")
    assert caught.value.diagnostics[0].hint == "names here: conv1, flatten_1, logits"


def test_overrides_apply_after_extends(child):
    spec = load(child, ["train.epochs=3", "layers.logits.units=10", "layers.0.name=flat"])
    assert spec.train["epochs"] == 3 and spec.train["batch_size"] == 32
    assert [layer["name"] for layer in spec.layers] == ["flat", "logits"]


def test_override_type_errors_point_at_the_option(child):
    with pytest.raises(SpecError) as caught:
        load(child, ["train.epochs=three"])
    [error] = caught.value.diagnostics
    assert error.render() == (
        "--set train.epochs=three: error: train.epochs: must be an integer, got string 'three'"
    )
