"""`netspec data pack SPEC --out DIR [--shards N] [--set k=v]`: a spec's data as TFRecord shards."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from netspec.cli.common import Overrides, SetOption


def pack(
    spec_path: Path = typer.Argument(..., metavar="SPEC", help="The spec whose data to pack."),
    out: Path = typer.Option(
        ..., "--out", help="Folder to write (new, empty, or an earlier pack: it is replaced)."
    ),
    shards: int | None = typer.Option(
        None,
        "--shards",
        min=1,
        help="Shards of the train split; smaller splits get proportionally fewer "
        "(default: about 256 MiB or 10,000 examples each).",
    ),
    overrides: Overrides = SetOption,
) -> None:
    """Write the spec's train, validation and test splits as TFRecord shards plus a manifest.

    Image files keep their original bytes; every example is read back and checked before the
    folder is replaced. Train from it with data: {source: tfrecord, path: DIR}.
    """
    from netspec.spec import load

    spec = load(spec_path, overrides or ())
    for warning in spec.warnings:
        print(warning.render(), file=sys.stderr)
    from netspec.data.pack import pack as pack_data

    manifest = pack_data(spec, out, shards)
    for warning in manifest["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    for split, part in manifest["splits"].items():
        skipped = f" ({part['skipped']:,} skipped)" if part["skipped"] else ""
        print(f"{split}: {part['count']:,} examples in {len(part['files'])} shard(s){skipped}")
    print(f"packed to {out}/ (train from it with data: {{source: tfrecord, path: {out}}})")
