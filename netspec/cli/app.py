"""The `netspec` command. Each subcommand lives in its own module and is registered here.

Command modules must import cheaply: TensorFlow and friends are imported inside the command
functions, so `netspec validate` never pays for them.
"""

import sys

import typer

from netspec.cli import (
    common,
    evaluate,
    export,
    init,
    letters,
    predict,
    schema,
    summary,
    train,
    validate,
)
from netspec.errors import UserError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Declarative model specs for TensorFlow: validate, train, export with stable names.",
)

# In the order of a user's work: write and check a spec, train, export, use.
app.command("init")(init.init)
app.command("validate")(validate.validate)
app.command("summary")(summary.summary)
app.command("train")(train.train)
app.command("evaluate")(evaluate.evaluate)
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
