"""The `netspec` command. Each subcommand lives in its own module and is registered here.

Command modules must import cheaply: TensorFlow and friends are imported inside the command
functions, after the spec or run they read has been checked, so `netspec validate` never pays
for them and a broken spec fails fast.

Every failure ends in one line on stderr and a non-zero exit: a user's mistake (UserError) or
an OS error (no space, no permission) as `error: ...` with a hint; anything else, which is our
bug, as one line plus the path of a log file holding the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime
from pathlib import Path

import typer

from netspec import files
from netspec.cli import (
    common,
    compare,
    data,
    diff,
    evaluate,
    export,
    graph,
    init,
    letters,
    predict,
    quiet_tf,
    runs,
    schema,
    summary,
    sweep,
    train,
    validate,
)
from netspec.errors import UserError, from_os_error, one_line

EXIT_INTERRUPTED = 130  # the shell's code for a process ended by Ctrl-C (128 + SIGINT)
EXIT_BUG = 70  # EX_SOFTWARE: an internal error

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Declarative model specs for TensorFlow: validate, train, export with stable names.",
)


@app.callback()
def options(
    verbose: bool = typer.Option(False, "--verbose", help="Show TensorFlow's start-up messages."),
) -> None:
    if not verbose:
        quiet_tf.install()


# In the order of a user's work: write and check a spec, train, export, use.
app.command("init")(init.init)
app.command("validate")(validate.validate)
app.command("summary")(summary.summary)
app.command("graph")(graph.graph)
app.command("diff")(diff.diff)
data_app = typer.Typer(no_args_is_help=True, help="Convert a spec's data: netspec data pack.")
data_app.command("pack")(data.pack)
app.add_typer(data_app, name="data")
app.command("train")(train.train)
app.command("sweep")(sweep.sweep)
app.command("evaluate")(evaluate.evaluate)
app.command("runs")(runs.runs)
app.command("compare")(compare.compare)
app.command("export")(export.export)
app.command("predict")(predict.predict)
app.command("schema")(schema.schema)
app.command("letters")(letters.letters)


def main() -> None:
    try:
        app()
    except UserError as err:
        common.print_error(err)
        sys.exit(err.exit_code)
    except OSError as err:
        common.print_error(from_os_error(err))
        sys.exit(1)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as err:
        log = _write_crash_log()
        print(f"error: internal error: {one_line(err)}", file=sys.stderr)
        print(f"  details: {log}" if log else "  (the details could not be saved)", file=sys.stderr)
        sys.exit(EXIT_BUG)


def _write_crash_log() -> Path | None:
    """The traceback, in $NETSPEC_CACHE/logs (default ~/.cache/netspec/logs)."""
    folder = files.cache_root() / "logs"
    path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(f"netspec {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}")
    except OSError:
        return None
    return path
