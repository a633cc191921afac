"""Diagnostics: every problem found in a spec, with where it is and how to fix it.

Checks yield `Diagnostic`s; choosing their order and rendering them is done here, once.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass

from netspec.errors import UserError

Path = tuple  # a key path into the spec document: ("layers", 2, "stride")


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    path: Path
    message: str
    code: str
    location: Location | None = None
    hint: str | None = None
    severity: str = "error"

    @property
    def dotted(self) -> str:
        return dotted(self.path)

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        subject = f"{self.dotted}: " if self.path else ""
        text = f"{where}{self.severity}: {subject}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_json(self) -> dict:
        record = asdict(self)
        record["path"] = self.dotted
        loc = self.location
        record["location"] = None
        record.update(
            file=loc.file if loc else None,
            line=loc.line if loc else None,
            col=loc.col if loc else None,
        )
        del record["location"]
        return record


def dotted(path: Path) -> str:
    """("layers", 2, "stride") -> "layers[2].stride"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def ordered(diagnostics) -> list[Diagnostic]:
    """Errors before warnings, then in the order they appear in the files; duplicates dropped."""
    unique = list(dict.fromkeys(diagnostics))

    def key(d: Diagnostic):
        loc = d.location or Location("")
        return (d.severity != "error", loc.file, loc.line or 0, loc.col or 0, d.dotted)

    return sorted(unique, key=key)


def did_you_mean(word: str, choices) -> str | None:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class SpecError(UserError):
    """Raised when a spec has errors; carries all of them, best first."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = ordered(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        first = errors[0].render().splitlines()[0] if errors else "invalid spec"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)

    def __str__(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)
