"""The header of a table: its column names, made unique, and the extra header rows survey
platforms write under them (question text, import ids, answer options), recognised by their
signature and kept as the columns' labels instead of being read as data.

- Qualtrics: row 1 the export tags (`Q1`, `StartDate`), row 2 the question text, row 3
  `{"ImportId": …}` JSON per cell; the legacy layout has `V1,V2,…` over `ResponseID,…`.
- SurveyMonkey: row 1 the questions (a blank cell continues the question to its left: the
  options of a multi-select or matrix question), row 2 the answer options (`Response`, `Email`).
- `--header-rows N`: any other layout of N header rows; the second gives the labels.

Blank names become `column N` (N counts from 1); a repeated name becomes `Name (2)`, `Name (3)`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

SNIFF_ROWS = 8  # records looked at to recognise a layout
_IMPORT_ID = re.compile(r"""^\s*\{\s*["']ImportId["']\s*:""")
_SINGLE_ANSWER = ("", "response", "open-ended response")


@dataclass(frozen=True)
class Header:
    """`names`: unique column names; `labels`: question text by name; `rows`: how many
    records the header takes; `layout`: what was recognised (None for a plain header);
    `renamed`: names made unique → the name the file repeats."""

    names: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    rows: int = 1
    layout: str | None = None
    renamed: dict[str, str] = field(default_factory=dict)


def read_header(records: Sequence[Sequence[str]], header_rows: int | None = None) -> Header:
    """The header from a table's first records (blank records already dropped)."""
    if not records:
        return Header([])
    first = [str(c) for c in records[0]]
    if header_rows is not None:
        if header_rows < 1:
            from ..errors import UsageError

            raise UsageError(f"--header-rows {header_rows} must be at least 1")
        labels = _row(records, 1, len(first)) if header_rows > 1 else []
        return _unique(first, labels, header_rows, f"{header_rows} header rows")
    second = _row(records, 1, len(first))
    third = _row(records, 2, len(first))
    if third and sum(bool(_IMPORT_ID.match(c)) for c in third) * 2 >= max(1, _filled(third)):
        return _unique(first, second, 3, "Qualtrics export (3 header rows)")
    if first[:2] == ["V1", "V2"] and "ResponseID" in second:
        names = [
            s if re.fullmatch(r"V\d+", f) and s else f for f, s in zip(first, second, strict=True)
        ]
        return _unique(names, second, 2, "Qualtrics legacy export (2 header rows)")
    lowered = [c.strip().lower() for c in first]
    if {"respondent id", "collector id"} <= set(lowered) and second and not second[0].strip():
        return _surveymonkey(first, second)
    return _unique(first, [], 1, None)


def _row(records: Sequence[Sequence[str]], index: int, width: int) -> list[str]:
    if index >= len(records):
        return []
    row = [str(c) for c in records[index]][:width]
    return row + [""] * (width - len(row))


def _filled(row: Sequence[str]) -> int:
    return sum(1 for c in row if c.strip())


def _surveymonkey(first: list[str], second: list[str]) -> Header:
    """Questions over options: `Question` alone for a single answer, `Question - Option` for
    each option of a multi-column question; the question text is every column's label."""
    questions, current = [], ""
    for name in first:
        current = name if name.strip() else current
        questions.append(current)
    names = []
    for i, (question, option) in enumerate(zip(questions, second, strict=True)):
        spans = questions.count(question) > 1 or not first[i].strip()
        single = option.strip().lower() in _SINGLE_ANSWER and not spans
        names.append(question if single or not option.strip() else f"{question} - {option}")
    return _unique(names, questions, 2, "SurveyMonkey export (2 header rows)")


def _unique(names: Sequence[str], labels: Sequence[str], rows: int, layout: str | None) -> Header:
    """Blank names numbered by position, repeated ones numbered in order, each new name free."""
    taken = {n for n in names if n.strip()}
    out: list[str] = []
    renamed: dict[str, str] = {}
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name.strip():
            name = _free(f"column {position}", taken)
        elif name in seen:
            original = name
            count = seen[name]
            while True:
                count += 1
                name = f"{original} ({count})"
                if name not in taken:
                    break
            seen[original] = count
            renamed[name] = original
        seen.setdefault(name, 1)
        taken.add(name)
        out.append(name)
    found = {
        name: label.strip()
        for name, label in zip(out, labels, strict=False)
        if label.strip() and label.strip() != name and not _IMPORT_ID.match(label)
    }
    return Header(out, found, rows, layout, renamed)


def _free(name: str, taken: set[str]) -> str:
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{name} ({count})"
    return candidate
