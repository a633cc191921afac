"""The spec corpus: each spec in invalid/ reports exactly the errors its comments list, and
each spec in valid/ validates.

An invalid spec lists one expected error per comment line:

    # expect: WHERE PATH: TEXT

WHERE is LINE:COL in the spec itself, FILE:LINE:COL in another file (relative to the spec), the
file's own name for an error without a line, or `--set` for an override. PATH is the dotted key
path, `-` for none. TEXT is one or more pieces joined by ` ... `; each must occur in the message
or the hint. `# set: PATH=VALUE` lines are overrides, applied as `--set` would.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from netspec.spec import SpecError, load, yamlpos
from tests.specs.spec_corpus import HERE, INVALID, VALID, comments

EXPECT = re.compile(r"(\S+) (\S+): (.+)")


def where(diagnostic, spec: Path) -> str:
    loc = diagnostic.location
    if loc.file.startswith("--set "):
        return "--set"
    other = "" if loc.file == str(spec) else Path(os.path.relpath(loc.file, spec.parent))
    if loc.line is None:
        return str(other or spec.name)
    return ":".join(str(part) for part in (other, loc.line, loc.col) if part)


def reported_errors(spec: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(SpecError) as caught:
        load(spec, comments(spec, "set"))
    return [
        (where(d, spec), d.dotted or "-", f"{d.message}\n{d.hint}")
        for d in caught.value.diagnostics
        if d.severity == "error"
    ]


def unmatched(expected: list[tuple], reported: list[tuple]) -> tuple[list, list]:
    """(expected errors not reported, reported errors not expected)."""
    left = list(reported)
    missing = []
    for loc, path, text in expected:
        hit = next(
            (
                r
                for r in left
                if r[:2] == (loc, path) and all(piece in r[2] for piece in text.split(" ... "))
            ),
            None,
        )
        if hit is None:
            missing.append((loc, path, text))
        else:
            left.remove(hit)
    return missing, left


@pytest.mark.parametrize("spec", INVALID, ids=lambda p: p.stem)
def test_invalid_spec_reports_exactly_its_expected_errors(spec):
    expected = [EXPECT.fullmatch(line).groups() for line in comments(spec, "expect")]
    assert expected, f"{spec.name} has no `# expect:` lines"
    missing, unexpected = unmatched(expected, reported_errors(spec))
    assert not missing and not unexpected, (
        f"expected, not reported: {missing}\nreported, not expected: {unexpected}"
    )


def test_the_invalid_corpus_covers_enough_cases():
    assert len(INVALID) >= 30


def test_invalid_specs_fail_the_same_way_through_the_cli(netspec_process):
    plain = [spec for spec in INVALID if not comments(spec, "set")]
    result = netspec_process("validate", "--format", "json", *plain)
    assert result.returncode == 1, result.stderr
    records = json.loads(result.stdout)
    assert [r["file"] for r in records] == [str(spec) for spec in plain]
    for spec, record in zip(plain, records):
        with pytest.raises(SpecError) as caught:
            load(spec)
        assert not record["valid"]
        assert record["diagnostics"] == [d.to_json() for d in caught.value.diagnostics]


def test_text_output_renders_file_line_col_path_and_message(netspec_process):
    spec = HERE / "invalid" / "out_of_range.yaml"
    result = netspec_process("validate", spec)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    for loc, path, message in (EXPECT.fullmatch(e).groups() for e in comments(spec, "expect")):
        assert f"{spec}:{loc}: error: {path}: {message}" in lines
    assert lines[-1] == f"{spec}: 4 errors"
    assert result.stdout == ""


def test_override_errors_point_at_the_set_option(netspec_process):
    spec = HERE / "invalid" / "set_type_error.yaml"
    options = [arg for override in comments(spec, "set") for arg in ("--set", override)]
    result = netspec_process("validate", spec, *options)
    assert result.returncode == 1
    assert (
        "--set train.epochs=three: error: train.epochs: must be an integer, got string 'three'"
    ) in result.stderr.splitlines()


def test_python_tags_are_reported_and_never_run(tmp_path, netspec_process):
    marker = tmp_path / "executed"
    spec = tmp_path / "tagged.yaml"
    spec.write_text(
        f"input: {{shape: [784]}}\nlayers: [{{type: dense, units: 10}}]\n"
        f'name: !!python/object/apply:os.system ["touch {marker}"]\n'
        f'description: !!python/object/new:subprocess.call [["touch", "{marker}"]]\n'
    )
    with pytest.raises(SpecError) as caught:
        load(spec)
    assert [(d.code, d.dotted) for d in caught.value.diagnostics] == [
        ("E-TAG", "name"),
        ("E-TAG", "description"),
    ]
    result = netspec_process("validate", spec)
    assert result.returncode == 1 and "is not allowed: specs are plain data" in result.stderr
    assert not marker.exists()


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    spec = tmp_path / "huge.yaml"
    spec.write_text("# padding padding\n" * (yamlpos.MAX_BYTES // 18 + 1))
    with pytest.raises(SpecError) as caught:
        load(spec)
    [error] = caught.value.diagnostics
    assert error.code == "E-FILE" and error.location.line is None
    assert f"specs are limited to {yamlpos.MAX_BYTES:,}" in error.message


@pytest.mark.parametrize("spec", VALID, ids=lambda p: p.stem)
def test_valid_spec_validates_without_warnings(spec):
    loaded = load(spec, comments(spec, "set"))
    assert loaded.warnings == []
    assert json.loads(json.dumps(loaded.doc)) == loaded.doc
