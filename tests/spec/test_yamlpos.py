"""yamlpos: plain data only, with the line:col of every key and value."""

from __future__ import annotations

import pytest

from netspec.spec import SpecError
from netspec.spec.diagnostics import Location
from netspec.spec.yamlpos import load, read_text

TEXT = """\
name: demo
input:
  shape: [28, 28, 1]
layers:
  - type: flatten
  - {type: dense, units: 10}
"""


def errors(text: str) -> list[tuple]:
    with pytest.raises(SpecError) as caught:
        load(text, "f.yaml")
    return [
        (d.code, d.dotted, d.location.line, d.location.col, d.message)
        for d in caught.value.diagnostics
    ]


def test_keys_and_values_are_located_by_path():
    doc = load(TEXT, "f.yaml")
    assert doc.data == {
        "name": "demo",
        "input": {"shape": [28, 28, 1]},
        "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}],
    }
    assert doc.keys[("input", "shape")] == Location("f.yaml", 3, 3)
    assert doc.values[("input", "shape")] == Location("f.yaml", 3, 10)
    assert doc.values[("input", "shape", 2)] == Location("f.yaml", 3, 19)
    assert doc.values[("layers", 0)] == Location("f.yaml", 5, 5)
    assert doc.keys[("layers", 1, "units")] == Location("f.yaml", 6, 19)
    assert doc.values[("layers", 1, "units")] == Location("f.yaml", 6, 26)


def test_where_walks_up_to_the_closest_known_location():
    doc = load(TEXT, "f.yaml")
    assert doc.where(("layers", 1, "units", "nope")) == Location("f.yaml", 6, 26)
    assert doc.where(("layers", 1, "stride"), key=True) == Location("f.yaml", 4, 1)
    assert doc.where(("missing",)) == Location("f.yaml", 1, 1)


@pytest.mark.parametrize(
    "text, value",
    [
        ("a: 1e-3", 0.001),
        ("a: 5E+2", 500.0),
        ("a: -.5e1", -5.0),
        ("a: 1.0e3", 1000.0),
        ("a: '1e-3'", "1e-3"),
        ("a: !!str 1e-3", "1e-3"),
        ("a: 0x10", 16),
        ("a: 2024-01-01", "2024-01-01"),
        ("a: ~", None),
        ("a: true", True),
        ("a: 1_000", 1000),
    ],
)
def test_scalars_are_plain_values(text, value):
    assert load(text, "f.yaml").data["a"] == value


@pytest.mark.parametrize(
    "text, code, line, col, message",
    [
        ("a: .inf", "E-NUMBER", 1, 4, ".inf is not allowed: numbers must be finite"),
        ("a: 1\nb: cé\x01", "E-YAML", 2, 6, "invalid YAML: character U+0001 is not allowed"),
        ("a: !!binary aGk=", "E-TAG", 1, 4, "tag 'tag:yaml.org,2002:binary' is not allowed"),
        ("a: !!set {x, y}", "E-TAG", 1, 4, "tag 'tag:yaml.org,2002:set' is not allowed"),
        ("a: !custom 3", "E-TAG", 1, 4, "tag '!custom' is not allowed"),
        ("<<: {a: 1}\nb: 2", "E-YAML", 1, 1, "YAML merge keys (<<) are not supported"),
        ("1: a", "E-KEY", 1, 1, "keys must be strings, got 1"),
        ("a: &x\n  b: *x", "E-YAML", 1, 4, "recursive alias: a value contains itself"),
        ("a: {b: 1, b: 2}", "E-DUPLICATE-KEY", 1, 11, "duplicate key 'b' (first given at line 1)"),
        ("a: b: c", "E-YAML", 1, 5, "invalid YAML: mapping values are not allowed"),
        ("a: 1\n---\nb: 2", "E-YAML", 2, 1, "several YAML documents"),
        ("'text'", "E-ROOT", 1, 1, "got the value 'text'"),
    ],
)
def test_problems_are_located(text, code, line, col, message):
    [(got_code, _, got_line, got_col, got_message)] = errors(text)
    assert (got_code, got_line, got_col) == (code, line, col)
    assert message in got_message


def test_every_problem_of_the_builder_is_reported():
    assert [e[:4] for e in errors("a: !!set {}\nb: .nan\nc: {d: 1, d: 2}\n")] == [
        ("E-TAG", "a", 1, 4),
        ("E-NUMBER", "b", 2, 4),
        ("E-DUPLICATE-KEY", "c.d", 3, 11),
    ]


def test_an_alias_bomb_stops_at_the_node_limit():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)
    ]
    [(code, _, _, _, message)] = errors("\n".join(levels))
    assert code == "E-YAML" and "more than 100,000 values" in message


@pytest.mark.parametrize(
    "text, line, col",
    [
        ("a: " + "[" * 40 + "]" * 40, 1, 35),  # the top-level mapping is the first level
        # b holds a 20 levels down, so a's 12th list is the 33rd level
        ("a: &a " + "[" * 20 + "1" + "]" * 20 + "\nb: " + "[" * 20 + "*a" + "]" * 20, 1, 19),
    ],
)
def test_deep_nesting_is_refused(text, line, col):
    [(code, _, got_line, got_col, message)] = errors(text)
    assert (code, got_line, got_col) == ("E-YAML", line, col)
    assert message == "values are nested more than 32 levels deep"


def test_very_deep_nesting_does_not_crash_the_parser(tmp_path, netspec_process):
    spec = tmp_path / "deep.yaml"
    spec.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")  # libyaml would overflow
    result = netspec_process("validate", spec)
    assert result.returncode == 1
    assert "values are nested more than 32 levels deep" in result.stderr


def test_shared_anchors_within_the_limit_are_fine():
    assert load("a: &x [1, 2]\nb: *x", "f.yaml").data == {"a": [1, 2], "b": [1, 2]}


def test_read_text_reports_bad_encoding_and_missing_files(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(SpecError, match=r"not UTF-8 text \(invalid byte 0xe9 at offset 9\)"):
        read_text(latin)
    with pytest.raises(SpecError, match="cannot read file"):
        read_text(tmp_path / "missing.yaml")
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("\ufeffname: x\n".encode())
    assert load(read_text(bom), "bom.yaml").data == {"name": "x"}
