"""JSON Lines / NDJSON (one object per line, as Amplitude, Mixpanel and Segment export), a
top-level JSON array of objects, or objects written one after another across lines (`jq .`
output): read in 4 MiB chunks by pyarrow's JSON reader, whatever the compression, stdin too.

Nested objects become dotted column names (`event_properties.item_id`, `properties.time`).
Every value arrives as text, like a CSV cell (`9`, `true`, `1746532166000`), so the KPIs parse
it exactly as they parse CSV; pyarrow's guesses are kept out of the way (strings it would turn
into timestamps are read as strings, so an offset or a fraction is never lost). Schema drift
between chunks (a key missing, null, another type) is normal: each chunk is typed on its own.
A chunk pyarrow cannot type (a key that changes type within it) is read line by line with the
standard library instead."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..source import FileSlice, Input, ReadSettings, open_stream
from . import SAMPLE_ROWS, RangeError, Reader
from .header import read_header

CHUNK = 4 << 20
PARALLEL_MIN_BYTES = 32 << 20  # a JSON Lines file this large is parsed in byte ranges


class JsonReader(Reader):
    def __init__(self, item: Input, settings: ReadSettings, stream: BinaryIO | None = None):
        super().__init__(item, settings)
        self._stdin = stream
        self._text_paths: set[tuple[str, ...]] = set()  # fields read as strings, not timestamps
        raw = self._open()
        head = raw.read(CHUNK)
        self._mode = _mode(head, item.path)
        self._chunks = _records(head, raw, self._mode)
        self._first = next(self._chunks, b"")
        parsed = self._parse(self._first, 0)
        self._leaves = dict(_leaves(parsed.schema))  # dotted name -> (path, type): `batches`
        self._first_table = _flattened(parsed)
        if self._first_table.num_columns == 0:
            raise InputError(f"{item.path}: no JSON records in the file")
        _check_wrapped(self._first_table, item.path)
        self.header = read_header([self._first_table.column_names])
        if stream is None:  # a file is read again from its start by `batches`
            raw.close()

    def _open(self) -> Any:
        raw: Any = self._stdin
        if raw is None:
            raw = open_stream(self.item, self.settings)
        encoding = (self.settings.encoding or "utf-8").replace("_", "-").lower()
        if encoding not in ("utf-8", "utf8"):
            source = raw if isinstance(raw, pa.NativeFile) else pa.PythonFile(raw, mode="r")
            raw = pa.transcoding_input_stream(source, self.settings.encoding, "utf-8")
        return raw

    def _all_chunks(self) -> Iterator[bytes]:
        if self._stdin is not None:  # read once: the first chunk, then the rest
            yield self._first
            yield from self._chunks
            return
        with self._open() as raw:
            head = raw.read(CHUNK)
            yield from _records(head, raw, self._mode)

    def _wanted(self, names: Sequence[str]) -> pa.Schema:
        """The fields of the named columns, typed as in the first chunk."""
        return _schema_of({self._leaves[n] for n in names if n in self._leaves})

    def batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        rows = 0
        wanted = self._wanted(names)
        try:
            for chunk in self._all_chunks():
                first = rows == 0 and chunk == self._first  # parsed when the header was read
                table = self._first_table if first else self._parse_wanted(chunk, rows, wanted)
                for batch in self._select(table, names, rows).to_batches():
                    rows += batch.num_rows
                    self.item.rows += batch.num_rows
                    yield batch
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"{self.item.path}: cannot read: {exc}") from None

    def sample(self, names: Sequence[str]) -> pa.Table:
        return self._select(self._first_table.slice(0, SAMPLE_ROWS), names, 0)

    def ranges(self, parts: int, min_bytes: int | None = None) -> list[tuple[int, int]] | None:
        """Byte ranges that split a large plain UTF-8 JSON Lines file into `parts` at line
        ends: a JSON string holds no raw line break, so every line end ends a record. None for
        other files (arrays, objects across lines, stdin, compressed, other encodings)."""
        min_bytes = PARALLEL_MIN_BYTES if min_bytes is None else min_bytes
        encoding = self.settings.encoding or "utf-8"
        if self._mode != "lines" or not self.cuttable(parts, min_bytes, encoding):
            return None
        size, cuts = self.item.size or 0, [0]
        with open(self.item.read_path, "rb") as raw:
            for part in range(1, parts):
                raw.seek(size * part // parts)
                raw.readline()
                if cuts[-1] < raw.tell() < size:
                    cuts.append(raw.tell())
        return list(itertools.pairwise([*cuts, size])) if len(cuts) > 1 else None

    def range_batches(self, names: Sequence[str], start: int, end: int) -> Iterator[pa.RecordBatch]:
        """The named columns of the records in bytes [start, end); rows are counted by the
        caller. An unreadable record is a RangeError: the file is then read again in one
        stream, so that the error names the file's row."""
        wanted, rows = self._wanted(names), 0
        try:
            with io.BufferedReader(FileSlice(self.item.read_path, start, end), CHUNK) as raw:
                for chunk in _records(raw.read(CHUNK), raw, self._mode):
                    table = self._parse_wanted(chunk, rows, wanted, threads=False)
                    for batch in self._select(table, names, rows).to_batches():
                        rows += batch.num_rows
                        yield batch
        except (InputError, OSError, pa.ArrowInvalid):
            raise RangeError(lambda _rows: self._error_in_one_stream(names)) from None

    def _error_in_one_stream(self, names: Sequence[str]) -> InputError:
        """The error a byte range met, found again by reading the file from its start."""
        try:
            for _ in self.batches(names):
                pass
        except InputError as exc:
            return exc
        return InputError(f"{self.item.path}: cannot read it in byte ranges")

    def _select(self, table: pa.Table, names: Sequence[str], first_row: int) -> pa.Table:
        try:
            return _select(table, names)
        except pa.ArrowInvalid as exc:
            if "UTF8" not in str(exc):
                raise
            raise _not_utf8(self.item.path, first_row) from None

    # --- one chunk -------------------------------------------------------------------------
    def _parse_wanted(
        self, chunk: bytes, first_row: int, wanted: pa.Schema, threads: bool = True
    ) -> pa.Table:
        """Only the fields a run reads, typed as in the first chunk (a third faster than
        typing every field); a chunk where one changed type is typed on its own instead.
        `threads`: pyarrow's own (a byte range is already one of a run's threads)."""
        import pyarrow.json as pj

        if not chunk or chunk.isspace():
            return pa.table({})
        options = pj.ParseOptions(explicit_schema=wanted, unexpected_field_behavior="ignore")
        read = pj.ReadOptions(use_threads=threads)
        try:
            table = pj.read_json(pa.BufferReader(chunk), read, options)
        except pa.ArrowInvalid:
            return _flattened(self._parse(chunk, first_row))
        return _flattened(table) if _sound(table) else self._parse_lines(chunk, first_row)

    def _parse(self, chunk: bytes, first_row: int) -> pa.Table:
        """A chunk of records as a table, nested (flattened to dotted names by the caller),
        fields pyarrow would read as timestamps read as the strings they are."""
        if not chunk or chunk.isspace():
            return pa.table({})
        try:
            return self._typed(chunk, first_row)
        except UnicodeDecodeError:  # a field name that is not UTF-8
            raise _not_utf8(self.item.path, first_row) from None

    def _typed(self, chunk: bytes, first_row: int) -> pa.Table:
        import pyarrow.json as pj

        for _ in range(8):  # each round reads newly seen timestamp-like fields as strings
            options = None
            if self._text_paths:
                schema = pa.schema(_schema(self._text_paths))
                options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
            try:
                table = pj.read_json(pa.BufferReader(chunk), parse_options=options)
            except pa.ArrowInvalid:
                return self._parse_lines(chunk, first_row)
            if not _sound(table):
                return self._parse_lines(chunk, first_row)
            stamps = set(_timestamp_paths(table.schema)) - self._text_paths
            if not stamps:
                return table
            self._text_paths |= stamps
        return self._parse_lines(chunk, first_row)

    def _parse_lines(self, chunk: bytes, first_row: int) -> pa.Table:
        """The standard library's reading of a chunk pyarrow cannot type, line by line."""
        records: list[dict[str, str | None]] = []
        for line in chunk.split(b"\n"):
            if not line.strip():
                continue
            row = first_row + len(records) + 1
            try:
                value = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                detail = getattr(exc, "msg", None) or "not UTF-8 text"
                raise InputError(
                    f"{self.item.path}: row {row}: not valid JSON ({detail})",
                    hint="each line must hold one JSON object (or give --encoding)",
                ) from None
            if not isinstance(value, dict):
                raise InputError(
                    f"{self.item.path}: row {row}: a JSON {type(value).__name__}, not an object",
                    hint='each record must be a JSON object, e.g. {"user_id": "u1", …}',
                )
            records.append(_flat(value))
        names = list(dict.fromkeys(k for record in records for k in record))
        return pa.table({k: pa.array([r.get(k) for r in records], pa.string()) for k in names})


def _not_utf8(source: str, first_row: int) -> InputError:
    return InputError(
        f"{source}: the records from row {first_row + 1} on are not UTF-8 text",
        hint="give its encoding, e.g. --encoding latin-1 (JSON is UTF-8 by its standard)",
    )


def _mode(head: bytes, source: str) -> str:
    """`lines` (one object per line), `array`, or `stream` (objects across lines)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise InputError(f"{source}: the file is empty (no JSON records)")
    if text[:1] == b"[":
        return "array"
    if text[:1] != b"{":
        raise InputError(
            f"{source}: not JSON records (it starts with {text[:20]!r})",
            hint="JSON Lines hold one object per line; a .json file may also hold an array",
        )
    first = text.split(b"\n", 1)[0]
    try:
        json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "stream"
    return "lines"


def _records(head: bytes, raw: Any, mode: str) -> Iterator[bytes]:
    """Chunks of whole records, one per line (arrays and multi-line objects rewritten so);
    each chunk is copied once, the partial line it ends with carried to the next."""
    split = None if mode == "lines" else _Splitter(array=mode == "array")
    pending = b""
    data = head.removeprefix(b"\xef\xbb\xbf")
    while data:
        if split is not None:
            data = split.feed(data)
        cut = data.rfind(b"\n")
        if cut < 0:
            pending += data
        else:
            yield b"".join((pending, memoryview(data)[: cut + 1]))
            pending = data[cut + 1 :]
        data = raw.read(CHUNK)
    if pending.strip():
        yield pending + b"\n"


class _Splitter:
    """Rewrites JSON so that each top-level object sits on a line of its own: the elements of
    an array (its brackets dropped, the commas between elements made line ends), or objects
    written one after another. Strings are told apart by their quotes (a quote after an odd
    run of backslashes is escaped); line breaks are never raw inside JSON strings, so they
    can all become spaces. Vectorised, with the state carried from chunk to chunk."""

    def __init__(self, array: bool) -> None:
        self.array = array
        self.in_string = False
        self.backslashes = 0  # the run of backslashes that ended the last chunk
        self.depth = 0

    def feed(self, data: bytes) -> bytes:
        a = np.frombuffer(data, dtype=np.uint8)
        n = a.size
        if n == 0:
            return data
        index = np.arange(n)
        slash = a == 92
        last_other = np.maximum.accumulate(np.where(~slash, index, -1))
        before = np.concatenate(([-1], last_other[:-1]))  # the last non-backslash before i
        run = index - 1 - before + np.where(before < 0, self.backslashes, 0)
        quote = (a == 34) & (run % 2 == 0)
        quotes = np.cumsum(quote) + self.in_string
        outside = (quotes % 2 == 0) & ~quote
        opens = outside & ((a == 123) | (a == 91))
        closes = outside & ((a == 125) | (a == 93))
        depth = self.depth + np.cumsum(opens.astype(np.int64) - closes)
        out = a.copy()
        out[(a == 10) | (a == 13)] = 32
        if self.array:
            outer = (opens & (depth == 1)) | (closes & (depth == 0))
            out[outer & ((a == 91) | (a == 93))] = 32
            out[outside & (a == 44) & (depth == 1)] = 10
        else:
            out = np.insert(out, np.flatnonzero(closes & (depth == 0)) + 1, 10)
        self.in_string = bool(quotes[-1] % 2)
        self.depth = int(depth[-1])
        carried = self.backslashes if last_other[-1] < 0 else 0
        self.backslashes = int(n - 1 - last_other[-1]) + carried
        return out.tobytes()


def _sound(table: pa.Table) -> bool:
    """Whether pyarrow built the nested columns right (a list of only nulls it does not)."""
    try:
        for column in table.columns:
            if pa.types.is_nested(column.type):
                column.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _timestamp_paths(schema: pa.Schema, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for field in schema:
        path = (*prefix, field.name)
        if pa.types.is_timestamp(field.type) or pa.types.is_date(field.type):
            yield path
        elif pa.types.is_struct(field.type):
            yield from _timestamp_paths(pa.schema(list(field.type)), path)


def _schema(paths: set[tuple[str, ...]]) -> list[pa.Field]:
    """The nested fields that read the given paths as strings."""
    return list(_schema_of({(path, pa.string()) for path in paths}))


def _schema_of(leaves: set[tuple[tuple[str, ...], pa.DataType]]) -> pa.Schema:
    """The nested schema holding exactly these (path, type) leaves."""
    tree: dict[str, set] = {}
    for path, kind in leaves:
        tree.setdefault(path[0], set()).add((path[1:], kind))
    fields = []
    for name, rest in tree.items():
        whole = [kind for sub, kind in rest if not sub]
        children = {(sub, kind) for sub, kind in rest if sub}
        kind = whole[0] if whole else pa.struct(list(_schema_of(children)))
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _leaves(schema: pa.Schema, prefix: tuple[str, ...] = ()):
    """(dotted name, (path, type)) of every leaf field, as `Table.flatten` names them."""
    for field in schema:
        path = (*prefix, field.name)
        if pa.types.is_struct(field.type):
            yield from _leaves(pa.schema(list(field.type)), path)
        else:
            yield ".".join(path), (path, field.type)


def _flattened(table: pa.Table) -> pa.Table:
    """Nested objects flattened to dotted names."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as the text a CSV cell holds: numbers and booleans cast, lists as JSON.
    pyarrow's JSON reader does not check that strings are UTF-8: checked here."""
    kind = column.type
    if pa.types.is_string(kind):
        column.validate(full=True)
        return column
    if pa.types.is_nested(kind):  # lists: their JSON text
        values = [None if v is None else json.dumps(v) for v in column.to_pylist()]
        return pa.chunked_array([pa.array(values, pa.string())])
    return pc.cast(column, pa.string())


def _select(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """The named columns as text, null where a chunk has no such key."""
    present = set(table.column_names)
    rows = table.num_rows
    return pa.table(
        {
            name: _text(table.column(name)) if name in present else pa.nulls(rows, pa.string())
            for name in names
        }
    ).combine_chunks()


def _flat(value: dict, prefix: str = "") -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            out.update(_flat(item, name + "."))
        elif item is None or isinstance(item, str):
            out[name] = item
        elif isinstance(item, bool):
            out[name] = "true" if item else "false"
        elif isinstance(item, int | float):
            out[name] = repr(item)
        else:
            out[name] = json.dumps(item)
    return out


def _check_wrapped(table: pa.Table, source: str) -> None:
    """One record whose only content is a list of records: the export wraps its records."""
    if table.num_rows != 1:
        return
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_list(kind) and pa.types.is_struct(kind.value_type):
            raise InputError(
                f"{source}: one JSON object whose {name!r} holds the records",
                hint=f"take them out first, e.g. jq -c '.{name}[]' FILE > records.jsonl",
            )
