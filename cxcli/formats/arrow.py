"""Data already in memory, read as a file is: a pyarrow Table, RecordBatch, Dataset or
RecordBatchReader, a pandas DataFrame, a polars DataFrame or LazyFrame, or anything with the
Arrow PyCapsule stream interface (`__arrow_c_stream__`). Only the columns asked for are read,
batch by batch: an Arrow table or dataset without a copy, a pandas frame a slice at a time
(its own memory plus one batch). A one-shot stream is read into a table when it is resolved,
as the engine may read an input twice (a date pass for a default window)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from ..errors import InputError
from ..source import BATCH_ROWS, Input, ReadSettings
from . import SAMPLE_ROWS, Reader
from .header import Header


def describe(data: Any) -> str:
    """How an in-memory input is named in messages: `pandas.DataFrame`, `pyarrow.Table`."""
    kind = type(data)
    return f"{kind.__module__.split('.')[0]}.{kind.__qualname__}"


def rereadable(data: Any) -> Any:
    """`data` as something that can be read more than once: a one-shot stream (a
    RecordBatchReader, an `__arrow_c_stream__` object that is not a frame) is read into a
    pyarrow Table; anything else is kept as it is."""
    if _kind(data) in ("table", "batch", "dataset", "pandas", "polars", "polars_lazy"):
        return data
    try:
        if isinstance(data, pa.RecordBatchReader):
            return data.read_all()
        if hasattr(data, "__arrow_c_stream__"):
            return pa.RecordBatchReader.from_stream(data).read_all()
    except (pa.ArrowInvalid, TypeError) as exc:
        raise InputError(f"{describe(data)}: cannot read its Arrow stream ({exc})") from None
    raise InputError(
        f"{describe(data)}: not data cx can read",
        hint="give a path, a pandas or polars DataFrame, or a pyarrow Table, Dataset or "
        "RecordBatchReader",
    )


def _kind(data: Any) -> str | None:
    if isinstance(data, pa.Table):
        return "table"
    if isinstance(data, pa.RecordBatch):
        return "batch"
    module = type(data).__module__
    if module.startswith("pyarrow") and hasattr(data, "to_batches") and hasattr(data, "schema"):
        return "dataset"  # pyarrow.dataset.Dataset, without importing pyarrow.dataset
    if module.startswith("pandas") and hasattr(data, "iloc"):
        return "pandas"
    if module.startswith("polars"):
        return "polars_lazy" if hasattr(data, "collect") else "polars"
    return None


def _plain(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Columns as the engine reads them from files: dictionary-encoded columns (pandas
    categoricals) decoded, string views (polars) as strings."""
    columns, changed = [], False
    for column in batch.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, changed = column.dictionary_decode(), True
            kind = column.type
        if pa.types.is_string_view(kind) or pa.types.is_large_string(kind):
            column, changed = column.cast(pa.string()), True
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names) if changed else batch


class ArrowReader(Reader):
    def __init__(self, item: Input, settings: ReadSettings) -> None:
        super().__init__(item, settings)
        self._data = item.data
        self._kind = _kind(self._data)
        if self._kind in ("pandas", "polars"):
            names = [str(c) for c in self._data.columns]
        elif self._kind == "polars_lazy":
            names = list(self._data.collect_schema().names())
        else:
            names = list(self._data.schema.names)
        if self._kind == "pandas" and len(set(names)) < len(names):
            raise InputError(f"{item.path}: two columns have the same name")
        self.header = Header(names)

    def _table(self, names: Sequence[str], rows: int | None = None) -> pa.Table | None:
        """The columns as a Table, for the kinds that are one already (or cheaply become one)."""
        data = self._data
        if self._kind == "table":
            table = data.select(list(names))
        elif self._kind == "batch":
            table = pa.Table.from_batches([data.select(list(names))])
        elif self._kind == "polars":
            table = data.select(list(names)).to_arrow()
        elif self._kind == "polars_lazy":
            frame = data.select(list(names))
            table = (frame.head(rows) if rows is not None else frame).collect().to_arrow()
        else:
            return None
        return table if rows is None else table.slice(0, rows)

    def _read(self, names: Sequence[str], rows: int | None = None) -> Iterator[pa.RecordBatch]:
        size = BATCH_ROWS if rows is None else min(rows, BATCH_ROWS)
        table = self._table(names, rows)
        if table is not None:
            yield from table.to_batches(max_chunksize=size)
        elif self._kind == "dataset":
            if rows is not None:
                yield from self._data.head(rows, columns=list(names)).to_batches()
            else:
                yield from self._data.to_batches(columns=list(names), batch_size=size)
        else:  # pandas: a slice at a time, so memory stays the frame's own plus one batch
            frame = self._data
            frame = frame.set_axis([str(c) for c in frame.columns], axis=1)[list(names)]
            end = len(frame) if rows is None else min(rows, len(frame))
            for start in range(0, end, size):
                part = frame.iloc[start : min(end, start + size)]
                yield pa.RecordBatch.from_pandas(part, preserve_index=False)

    def batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._read(names):
                self.item.rows += batch.num_rows
                yield _plain(batch)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise InputError(f"{self.item.path}: cannot read its data as Arrow: {exc}") from None

    def sample(self, names: Sequence[str]) -> pa.Table:
        try:
            batches = [_plain(b) for b in self._read(names, SAMPLE_ROWS)]
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise InputError(f"{self.item.path}: cannot read its data as Arrow: {exc}") from None
        if not batches:
            return self._empty(names)
        return pa.Table.from_batches(batches)

    def _empty(self, names: Sequence[str]) -> pa.Table:
        """No rows: the columns' types, as far as the data says them."""
        if self._kind == "pandas":
            frame = self._data.head(0)
            frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
            schema = pa.Schema.from_pandas(frame, preserve_index=False)
            return _plain_table(schema.empty_table().select(list(names)))
        table = self._table(names, 0)
        if table is not None:
            return _plain_table(table)
        return _plain_table(self._data.schema.empty_table().select(list(names)))


def _plain_table(table: pa.Table) -> pa.Table:
    batch = _plain(pa.RecordBatch.from_pylist([], schema=table.schema))
    return pa.Table.from_batches([batch])
