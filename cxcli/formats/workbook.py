"""Excel workbooks (.xlsx, .xlsm, .xlsb, .xls) and OpenDocument sheets through python-calamine:
the first sheet, or `--sheet NAME|NUMBER` (numbered from 1). Cells keep their type until they
are written as the text a CSV export of them holds — numbers without a spurious `.0`, dates
and times as ISO 8601 (`2025-03-06 10:23:00`: never a locale's day/month order), durations as
`H:MM:SS` — so every KPI parses a workbook exactly as it parses CSV. Blank rows are skipped,
as blank lines are in CSV; the header may span survey layouts' extra rows (see header.py).

calamine holds the whole sheet in memory (about 30 bytes a cell: an .xlsx sheet has at most
1,048,576 rows); rows are converted in batches, only the columns asked for."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, UsageError
from ..source import BATCH_ROWS, Input, ReadSettings
from . import SAMPLE_ROWS, Reader
from .header import SNIFF_ROWS, read_header


class WorkbookReader(Reader):
    def __init__(self, item: Input, settings: ReadSettings, stream: BinaryIO | None = None):
        from python_calamine import CalamineError, CalamineWorkbook

        super().__init__(item, settings)
        try:
            if stream is not None:
                book = CalamineWorkbook.from_filelike(io.BytesIO(stream.read()))
            else:
                book = CalamineWorkbook.from_path(item.read_path)
            self.sheets = list(book.sheet_names)
            self.sheet_name = _choose_sheet(self.sheets, settings.sheet, item.path)
            self._sheet = book.get_sheet_by_name(self.sheet_name)
        except (CalamineError, ValueError, OSError) as exc:
            raise InputError(f"{item.path}: not a readable workbook ({exc})") from None
        records = []
        for row in self._rows():
            records.append(["" if v is None else v for v in map(_text, row)])
            if len(records) == SNIFF_ROWS:
                break
        if not records:
            raise InputError(f"{item.path}: sheet {self.sheet_name!r} is empty (no header row)")
        self.header = read_header(records, settings.header_rows)

    def _rows(self) -> Iterator[list[Any]]:
        """The sheet's rows, blank ones left out (calamine gives "" for an empty cell)."""
        for row in self._sheet.iter_rows():
            if row.count("") != len(row):
                yield row

    def _data(self, names: Sequence[str], limit: int | None = None) -> Iterator[pa.RecordBatch]:
        positions = [self.columns.index(name) for name in names]
        rows = self._rows()
        for _ in range(self.header.rows):
            next(rows, None)
        pending: list[list[Any]] = []
        seen = 0
        for row in rows:  # calamine's rows are as wide as the sheet's used range, header too
            pending.append(row)
            if len(pending) == BATCH_ROWS or (limit is not None and seen + len(pending) >= limit):
                yield _batch(pending, positions, names)
                seen += len(pending)
                pending = []
                if limit is not None and seen >= limit:
                    return
        if pending:
            yield _batch(pending, positions, names)

    def batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        for batch in self._data(names):
            self.item.rows += batch.num_rows
            yield batch

    def sample(self, names: Sequence[str]) -> pa.Table:
        batches = list(self._data(names, SAMPLE_ROWS))
        if not batches:
            return pa.table({name: pa.array([], pa.string()) for name in names})
        return pa.Table.from_batches(batches)


def _choose_sheet(names: Sequence[str], wanted: str | None, source: str) -> str:
    if not names:
        raise InputError(f"{source}: the workbook has no sheets")
    if wanted is None:
        return names[0]
    if wanted in names:
        return wanted
    if wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
        return names[int(wanted) - 1]
    listed = ", ".join(f"{i} {n!r}" for i, n in enumerate(names, start=1))
    raise UsageError(f"--sheet {wanted!r}: {source} has the sheets {listed}")


def _batch(rows: list[list[Any]], positions: list[int], names: Sequence[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [_column([row[p] if p < len(row) else None for row in rows]) for p in positions],
        names=list(names),
    )


def _column(cells: list[Any]) -> pa.Array:
    """One column of cells as CSV-like text: typed in one go when the cells share a type."""
    values = [None if v == "" else v for v in cells]
    try:
        typed = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: cell by cell
        return pa.array([_text(v) for v in values], pa.string())
    kind = typed.type
    if pa.types.is_floating(kind):
        whole = pc.equal(pc.floor(typed), typed)
        small = pc.less(pc.abs(typed), 2.0**53)
        if pc.all(pc.and_(whole, small)).as_py() is not False:
            return pc.cast(pc.cast(typed, pa.int64()), pa.string())
        return pa.array([_text(v) for v in values], pa.string())
    if pa.types.is_string(kind) or pa.types.is_null(kind):
        return typed.cast(pa.string())
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        return pc.cast(typed, pa.string())
    return pa.array([_text(v) for v in values], pa.string())


def _text(value: Any) -> str | None:
    """A cell as a CSV export writes it."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _clock(value.hour * 3600 + value.minute * 60 + value.second, value.microsecond)
    if isinstance(value, dt.timedelta):
        whole = value // dt.timedelta(seconds=1)
        return _clock(whole, value.microseconds)
    return str(value)


def _clock(seconds: int, micro: int) -> str:
    hours, rest = divmod(seconds, 3600)
    text = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{text}.{micro:06d}" if micro else text
