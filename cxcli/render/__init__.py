"""Renderers: a `Report` in, text out. They format; they compute nothing."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..result import Report


class Format(StrEnum):
    """Output formats of every KPI command."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"

    @classmethod
    def from_suffix(cls, path: str) -> Format | None:
        suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        return {
            "json": cls.JSON,
            "csv": cls.CSV,
            "md": cls.MARKDOWN,
            "markdown": cls.MARKDOWN,
            "txt": cls.TABLE,
        }.get(suffix)


def render(report: Report, fmt: Format, out: TextIO, *, color: bool = False) -> None:
    """Write `report` to `out` in `fmt`."""
    if fmt is Format.JSON:
        from .json import render_json

        render_json(report, out)
    elif fmt is Format.CSV:
        from .csv import render_csv

        render_csv(report, out)
    elif fmt is Format.MARKDOWN:
        from .markdown import render_markdown

        out.write(render_markdown(report))
    elif fmt is Format.TABLE:
        from .table import render_table

        render_table(report, out, color=color)
    else:  # pragma: no cover - the enum is exhaustive (tested)
        raise AssertionError(fmt)
