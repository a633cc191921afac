"""Pieces shared by the CLI commands: common options, spec loading, one-line errors."""

from __future__ import annotations

import sys

import typer

from netspec.errors import UserError

SetOption = typer.Option(
    None,
    "--set",
    metavar="PATH=VALUE",
    help="Override a spec value, e.g. --set train.epochs=3 "
    "or --set layers.conv1.filters=12 (repeatable).",
)
FormatOption = typer.Option("text", "--format", help="Output format: text or json.")

Overrides = list[str] | None


def print_error(err: UserError) -> None:
    diagnostics = getattr(err, "diagnostics", None)  # a SpecError: show every problem
    if diagnostics:
        print("\n".join(d.render() for d in diagnostics), file=sys.stderr)
        return
    print(f"error: {err.message}", file=sys.stderr)
    if err.hint:
        print(f"  hint: {err.hint}", file=sys.stderr)


def check_format(fmt: str) -> str:
    if fmt not in ("text", "json"):
        from netspec.errors import UsageError

        raise UsageError(f"--format must be text or json, got '{fmt}'")
    return fmt
