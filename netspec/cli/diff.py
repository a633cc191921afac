"""`netspec diff A B [--init-from] [--format text|json]`: what changed from A to B, and which
of A's trained variables can start B.

A and B are spec files or run directories, in any mix. `--init-from` takes A to be a
completed run and prints only B's `init_from:` section (YAML, to paste into B or append to
it: `netspec diff RUN B --init-from >> B.yaml`), with a one-line summary on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from netspec.cli.common import FormatOption, Overrides, SetOption, check_format
from netspec.errors import UsageError


def diff(
    a: Path = typer.Argument(..., metavar="A", help="A spec file or a run directory."),
    b: Path = typer.Argument(..., metavar="B", help="A spec file or a run directory."),
    overrides: Overrides = SetOption,
    init_from: bool = typer.Option(
        False,
        "--init-from",
        help="A is a completed run: print only B's init_from section that loads every "
        "variable of A fitting B by name and shape.",
    ),
    fmt: str = FormatOption,
) -> None:
    """Compare two specs or runs: layers added, removed and changed (fields, variable shapes),
    training and data settings, and the warm-start plan: which variables of A can initialise
    B by name and shape, and why the others cannot. --set applies to B."""
    from netspec.runs import is_run_dir, resolve_spec_arg
    from netspec.spec import load
    from netspec.spec.diff import diff as compare
    from netspec.spec.diff import init_from_yaml, relative_run, render_text, transfer_summary

    check_format(fmt)
    spec_b = load(resolve_spec_arg(b), overrides or (), resolved=b.is_dir())
    if init_from:
        from netspec.train.finetune import warm_start

        if not is_run_dir(a):
            raise UsageError(
                f"--init-from needs A to be a run directory, got {a}",
                hint="its trained weights are what B loads: netspec diff RUN B --init-from",
            )
        plan, section = warm_start(a, spec_b, relative_run(a, spec_b.path))
        summary = f"from {a}: {transfer_summary(plan)}"
        for note in plan.notes:
            print(f"warning: {note.message}\n  hint: {note.hint}", file=sys.stderr)
        if fmt == "json":
            typer.echo(json.dumps({"init_from": section, "summary": summary}, indent=2))
            return
        typer.echo(init_from_yaml(section, summary).rstrip())
        return
    spec_a = load(resolve_spec_arg(a), resolved=a.is_dir())
    result = compare(spec_a, spec_b, (str(a), str(b)))
    if fmt == "json":
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    typer.echo(render_text(result))
