"""Finding columns: a role named on the command line, or found by its default name and aliases
(case-, space-, dash- and underscore-insensitive)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import ColumnNotFound, InputError
from .kpi import Role


def normalise(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def find_column(wanted: str, available: Sequence[str], *, source: str, option: str) -> str:
    """A column named by the user: the exact name, else the one name equal after normalising."""
    if wanted in available:
        return wanted
    matches = [c for c in available if normalise(c) == normalise(wanted)]
    if len(matches) == 1:
        return matches[0]
    raise ColumnNotFound.for_role(
        source=source, role=option.lstrip("-"), wanted=wanted, available=available
    )


def detect_column(
    role: Role, available: Sequence[str], *, source: str, aliases: Sequence[str] | None = None
) -> str | None:
    """The column for a role nobody named: its default name, else the single alias match.

    Returns None when nothing matches and the role is optional.
    """
    by_norm: dict[str, list[str]] = {}
    for column in available:
        by_norm.setdefault(normalise(column), []).append(column)
    names = [role.default, *(aliases if aliases is not None else role.aliases)]
    for candidates in ([role.default], names):
        found = [c for alias in candidates for c in by_norm.get(normalise(alias), [])]
        check_duplicates(available, found, source)
        found = list(dict.fromkeys(found))
        if len(found) == 1:
            return found[0]
    if len(found) > 1:
        listed = ", ".join(repr(c) for c in found)
        raise InputError(
            f"{source}: several columns could be {role.option}: {listed}",
            hint=f"choose one with {role.option} COLUMN",
        )
    if not role.required:
        return None
    raise ColumnNotFound.for_role(source=source, role=role.name, wanted=None, available=available)


def check_duplicates(columns: Sequence[str], used: Sequence[str], source: str) -> None:
    """A column the run reads must not appear twice in the header."""
    for name in used:
        if columns.count(name) > 1:
            raise InputError(
                f"{source}: the header has {columns.count(name)} columns named {name!r}",
                hint="rename the duplicates so each column has its own name",
            )
