"""CSV: the flat view, one line for the headline and one per group."""

from __future__ import annotations

import csv
import io

from ..report import Report
from .flat import flat_rows


def render_csv(report: Report) -> str:
    header, rows = flat_rows(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return buffer.getvalue()
