"""Exit codes and the typed errors the CLI turns into one-line messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (DESIGN.md: scripts depend on them)."""

    OK = 0
    INTERNAL = 1  # a bug: the only code a traceback may come with
    BAD_INPUT = 2  # usage error or bad input
    GATE_FAILED = 3  # --min/--max or a report target missed
    INTERRUPTED = 130


class CxError(Exception):
    """An error the user can fix; the message is shown as is, without a traceback. Where they
    are known, `file`, `row` (a data row, from 1), `column` and `value` say where."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file, self.row, self.column, self.value = file, row, column, value

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(CxError):
    """Options that cannot work together, or an option value out of range."""


class InputError(CxError):
    """Unreadable, malformed or missing input data."""


class ColumnNotFound(InputError):
    """A role's column is not in the input; the message lists what was seen."""

    @classmethod
    def for_role(
        cls, *, source: str, role: str, wanted: str | None, available: Iterable[str]
    ) -> ColumnNotFound:
        available = list(available)
        shown = ", ".join(repr(c) for c in available[:40])
        if len(available) > 40:
            shown += f", … ({len(available)} columns)"
        if wanted is None:
            message = f"{source}: no column found for --{role}; columns: {shown}"
            return cls(message, hint=f"name it with --{role} COLUMN", file=source)
        close = difflib.get_close_matches(wanted, available, n=3, cutoff=0.5)
        message = f"{source}: column {wanted!r} (--{role}) not found; columns: {shown}"
        hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else None
        return cls(message, hint=hint, file=source, column=wanted)


def shorten(value: object, limit: int = 40) -> str:
    """A value as it may appear in a message: repr-quoted, at most `limit` characters."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)
