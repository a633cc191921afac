"""Diagnostics: rendering, JSON records, ordering and the summary line of SpecError."""

from __future__ import annotations

import json

from netspec.spec.diagnostics import Diagnostic, Location, SpecError, did_you_mean, dotted, ordered

STRIDE = Diagnostic(
    ("layers", 2, "stride"),
    "must be >= 1, got 0",
    "E-MINIMUM",
    Location("specs/cnn.yaml", 14, 17),
    "strides are at least 1",
)


def test_render_is_file_line_col_severity_path_message_then_hint():
    assert STRIDE.render() == (
        "specs/cnn.yaml:14:17: error: layers[2].stride: must be >= 1, "
        "got 0\n  hint: strides are at least 1"
    )


def test_render_without_path_line_or_hint():
    assert (
        Diagnostic((), "the spec is empty", "E-EMPTY", Location("a.yaml")).render()
        == "a.yaml: error: the spec is empty"
    )
    assert (
        Diagnostic(
            ("data", "path"),
            "x does not exist",
            "W-PATH",
            Location("a.yaml", 3, 9),
            severity="warning",
        ).render()
        == "a.yaml:3:9: warning: data.path: x does not exist"
    )


def test_json_record_flattens_the_location():
    record = STRIDE.to_json()
    assert record == {
        "path": "layers[2].stride",
        "message": "must be >= 1, got 0",
        "code": "E-MINIMUM",
        "hint": "strides are at least 1",
        "severity": "error",
        "file": "specs/cnn.yaml",
        "line": 14,
        "col": 17,
    }
    assert json.loads(json.dumps(record)) == record
    assert Diagnostic((), "m", "E-X").to_json()["file"] is None


def test_dotted_paths():
    assert dotted(("layers", 2, "stride")) == "layers[2].stride"
    assert dotted(("init_from", "layers", 0)) == "init_from.layers[0]"
    assert dotted(()) == ""


def test_ordered_puts_errors_first_then_by_file_and_position_without_duplicates():
    def at(file, line, col, severity="error"):
        return Diagnostic(
            ("x",), f"{file}:{line}:{col}", "E", Location(file, line, col), severity=severity
        )

    warning = at("a.yaml", 1, 1, "warning")
    found = [
        at("b.yaml", 1, 1),
        warning,
        at("a.yaml", 9, 2),
        at("a.yaml", 2, 30),
        at("a.yaml", 9, 2),
    ]
    assert [d.message for d in ordered(found)] == [
        "a.yaml:2:30",
        "a.yaml:9:2",
        "b.yaml:1:1",
        "a.yaml:1:1",
    ]


def test_did_you_mean():
    assert did_you_mean("optimzer", ["optimizer", "epochs"]) == "did you mean 'optimizer'?"
    assert did_you_mean("zzz", ["optimizer", "epochs"]) is None


def test_spec_error_message_is_the_first_error_and_a_count():
    other = Diagnostic(
        ("train", "epochs"), "must be >= 1, got -1", "E-MINIMUM", Location("specs/cnn.yaml", 20, 11)
    )
    err = SpecError([other, STRIDE])
    assert err.message == (
        "specs/cnn.yaml:14:17: error: layers[2].stride: must be >= 1, got 0 (and 1 more)"
    )
    assert str(err).splitlines() == [
        STRIDE.render().splitlines()[0],
        "  hint: strides are at least 1",
        other.render(),
    ]
    assert err.exit_code == 1
