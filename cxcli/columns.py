"""Finding columns: a role named on the command line (by column name or, in a survey export,
by its question text), or found by its default name and aliases (case-, space-, dash- and
underscore-insensitive; `properties.time` also matches `time`), or by the wording of its
survey question."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .definition import Role
from .errors import ColumnNotFound, InputError


def normalise(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


# Unit and zone decorations exports add to names: `Created (UTC)`, `(in hrs)`, `in minutes`, `[s]`.
_UNITS = r"(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)"
_DECORATION = re.compile(
    r"\s*(?:\((?:utc|gmt|z|local|in\s+" + _UNITS + r"|" + _UNITS + r")\)|\[[^\]]*\]"
    r"|\bin\s+" + _UNITS + r"\b)",
    re.IGNORECASE,
)


def undecorated(name: str) -> str | None:
    """The name without unit and zone decorations, or None when it has none."""
    bare = _DECORATION.sub("", name).strip()
    return bare if bare and bare != name.strip() else None


def find_column(
    wanted: str,
    available: Sequence[str],
    *,
    source: str,
    option: str,
    labels: Mapping[str, str] | None = None,
) -> str:
    """A column named by the user: the exact name or question text, else the one name (or
    question) equal after normalising."""
    if wanted in available:
        return wanted
    labels = labels or {}
    norm = normalise(wanted)
    tries = (
        lambda c: labels.get(c) == wanted,
        lambda c: normalise(c) == norm,
        lambda c: c in labels and normalise(labels[c]) == norm,
    )
    for fits in tries:
        matches = [c for c in available if fits(c)]
        if len(matches) == 1:
            return matches[0]
    raise ColumnNotFound.for_role(
        source=source, role=option.lstrip("-"), wanted=wanted, available=available
    )


def detect_column(
    role: Role,
    available: Sequence[str],
    *,
    source: str,
    aliases: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str | None:
    """The column for a role nobody named: its default name, else the single alias match
    (on the whole name, then on the last part of a dotted one), else for a survey question
    the column a sibling marks or the one question whose wording fits.

    Returns None when nothing matches and the role is optional."""
    names = [role.default, *(aliases if aliases is not None else role.aliases)]
    found: list[str] = []
    parts = (lambda c: c, undecorated, lambda c: c.rsplit(".", 1)[-1] if "." in c else None)
    for part in parts:
        by_norm: dict[str, list[str]] = {}
        for column in available:
            key = part(column)
            if key is not None:
                by_norm.setdefault(normalise(key), []).append(column)
        for candidates in ([role.default], names):
            found = list(
                dict.fromkeys(c for alias in candidates for c in by_norm.get(normalise(alias), []))
            )
            if len(found) == 1:
                return found[0]
        if found:
            break
    if not found:
        found = by_question(role, available, labels or {})
        if len(found) == 1:
            return found[0]
    if len(found) > 1:
        listed = ", ".join(_shown(c, labels, _meaning(role, c)) for c in found)
        raise InputError(
            f"{source}: several columns could be {role.option}: {listed}",
            hint=f"choose one with {role.option} COLUMN",
        )
    if not role.required:
        return None
    raise ColumnNotFound.for_role(source=source, role=role.name, wanted=None, available=available)


def by_question(role: Role, available: Sequence[str], labels: Mapping[str, str]) -> list[str]:
    """Columns a sibling marks as the role's (`Q5` beside `Q5_NPS_GROUP`), else those whose
    question text (or, where a column has none, its name) fits the role's wording."""
    if role.sibling:
        suffix = role.sibling.lower()
        marked = [c for c in available if any(o.lower() == c.lower() + suffix for o in available)]
        if marked:
            return marked
    if not role.wording:
        return []
    pattern = re.compile(role.wording, re.IGNORECASE)
    suffix = (role.sibling or "\0").lower()
    return [
        c
        for c in available
        if pattern.search(labels.get(c) or c) and not c.lower().endswith(suffix)
    ]


def _meaning(role: Role, column: str) -> str | None:
    """What a column means by the alias its name matches (`Canceled At` → when the customer
    asked to cancel), if the role says."""
    keys = {normalise(k) for k in (column, undecorated(column) or column)}
    return next((text for alias, text in role.meanings if normalise(alias) in keys), None)


def _shown(column: str, labels: Mapping[str, str] | None, meaning: str | None = None) -> str:
    label = (labels or {}).get(column)
    shown = repr(column) if not label or label == column else f"{column!r} ({label!r})"
    return f"{shown}: {meaning}" if meaning else shown


def check_duplicates(renamed: Mapping[str, str], used: Sequence[str], source: str) -> None:
    """A name the header repeats cannot say which of its columns to read (`renamed` maps the
    names cx gave the repeats to the repeated name); the names cx gave can."""
    for name in used:
        others = [new for new, old in renamed.items() if old == name]
        if others:
            listed = ", ".join(repr(n) for n in [name, *others])
            raise InputError(
                f"{source}: the header has {len(others) + 1} columns named {name!r} (read as "
                f"{listed})",
                hint=f"name the one to use, e.g. {others[0]!r}, or rename them in the file",
            )
