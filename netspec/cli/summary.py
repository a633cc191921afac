"""`netspec summary SPEC|RUN`: layers with output shapes, parameters and FLOPs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from netspec.cli.common import FormatOption, Overrides, SetOption, check_format
from netspec.runs import resolve_spec_arg
from netspec.spec import load
from netspec.spec.summary import summarize


def summary(
    spec: Path = typer.Argument(..., help="A spec file or a run directory."),
    overrides: Overrides = SetOption,
    fmt: str = FormatOption,
    depth: int | None = typer.Option(
        None, "--depth", min=0, help="Show block instances deeper than this as one row each."
    ),
) -> None:
    """Show the network: per-layer inputs, output shape, parameters and FLOPs, with totals."""
    check_format(fmt)
    loaded = load(resolve_spec_arg(spec), overrides or (), resolved=spec.is_dir())
    report = summarize(loaded, depth)
    if fmt == "json":
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{report['name']}  (input {report['input']['name']}: {report['input']['shape']})"
    )
    # a stack's layers each read the one before: the column only matters in a graph
    chain = (
        all(
            row["inputs"] == [before["name"]]
            for before, row in zip(
                [{"name": report["input"]["name"]}, *report["layers"]], report["layers"]
            )
        )
        and report["output"] == report["layers"][-1]["name"]
    )
    for column, justify in (
        ("layer", "left"),
        ("type", "left"),
        *(() if chain else (("inputs", "left"),)),
        ("output shape", "left"),
        ("params", "right"),
        ("FLOPs", "right"),
    ):
        table.add_column(column, justify=justify)
    for layer in report["layers"]:
        table.add_row(
            layer["name"]
            + (
                " (output)"
                if layer["name"] == report["output"] != report["layers"][-1]["name"]
                else ""
            ),
            layer["type"],
            *(() if chain else (", ".join(layer["inputs"]),)),
            str(layer["output_shape"]),
            f"{layer['params']:,}",
            f"{layer['flops']:,}",
        )
    table.add_section()
    table.add_row(
        "total",
        *[""] * (2 if chain else 3),
        f"{report['params']:,}",
        f"{report['flops_per_example']:,}",
    )
    console = Console()
    console.print(table)
    console.print(
        f"trainable parameters: {report['trainable_params']:,}   "
        f"weights: {report['params'] * 4 / 2**20:.2f} MiB   "
        f"activations per example: "
        f"{report['activation_bytes_per_example'] / 2**10:.1f} KiB   "
        f"(FLOPs: multiply-adds count 2)"
    )
