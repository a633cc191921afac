"""Errors that are the user's to fix: the CLI prints them in one line, never as a traceback."""


class UserError(Exception):
    """A problem with the user's input (spec, data, run directory, option).

    `exit_code` is 1 for invalid input and 2 for usage problems (missing file, bad option).
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(UserError):
    exit_code = 2
