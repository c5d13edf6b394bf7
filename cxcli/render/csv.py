"""CSV: the flat view, one line for the headline and one per group, written as it goes."""

from __future__ import annotations

import csv
from typing import TextIO

from ..result import Report
from .flat import flat_rows, safe_cell


def render_csv(report: Report, out: TextIO) -> None:
    header, rows = flat_rows(report)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(name) for name in header])  # column names are data too
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
