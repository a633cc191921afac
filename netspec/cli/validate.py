"""`netspec validate SPEC...`: schema and static checks, every problem reported at once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from netspec.cli.common import FormatOption, Overrides, SetOption, check_format
from netspec.errors import UsageError
from netspec.spec import SpecError, load


def validate(
    specs: list[Path] = typer.Argument(..., help="Spec files to check."),
    overrides: Overrides = SetOption,
    fmt: str = FormatOption,
) -> None:
    """Check specs: exit 0 if all are valid, 1 if any has errors, 2 on usage problems."""
    check_format(fmt)
    records, worst = [], 0
    for path in specs:
        try:
            spec = load(path, overrides or ())
        except SpecError as err:
            found, status, summary = err.diagnostics, 1, None
        except UsageError as err:
            found, status, summary = [], 2, err.message
        else:
            found, status = spec.warnings, 0
            infos = spec.layer_infos()
            summary = (
                f"{path}: ok ({len(infos)} layers, {sum(i.params for i in infos):,} parameters)"
            )
        worst = max(worst, status)
        if fmt == "json":
            records.append(
                {
                    "file": str(path),
                    "valid": status == 0,
                    "diagnostics": [d.to_json() for d in found],
                }
                | ({"error": summary} if status == 2 else {})
            )
            continue
        for diagnostic in found:
            print(diagnostic.render(), file=sys.stderr if status else sys.stdout)
        if status == 2:
            print(f"error: {summary}", file=sys.stderr)
        elif summary:
            print(summary)
        else:
            errors = sum(d.severity == "error" for d in found)
            print(f"{path}: {errors} error{'s' * (errors != 1)}", file=sys.stderr)
    if fmt == "json":
        print(json.dumps(records, indent=2))
    raise typer.Exit(worst)
