"""Inputs: paths, globs, directories and stdin, streamed as record batches of only the columns
asked for. CSV goes through `pyarrow.csv.open_csv` with every column read as text (no type
inference to trip over), Parquet through `ParquetFile.iter_batches` with column projection."""

from __future__ import annotations

import atexit
import contextlib
import csv
import glob
import io
import itertools
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

from .errors import InputError, shorten

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\x28\xb5\x2f\xfd": "zstd"}
BATCH_ROWS = 65_536
PARALLEL_MIN_BYTES = 32 << 20  # a CSV file this large is parsed in byte ranges, one per core
CSV_BLOCK = 1 << 19  # 512 KiB: 1 MiB was 0.03 s faster on 10M rows but 35 MB heavier (read-ahead)
_HEAD_LIMIT = 16 << 20


@dataclass(frozen=True)
class ReadSettings:
    """How CSV text is read: its encoding (None: UTF-8, or UTF-16 when it has a BOM), whether
    malformed lines are skipped (and counted) instead of stopping the run, the block size."""

    encoding: str | None = None
    skip_bad_lines: bool = False
    block_size: int = CSV_BLOCK


class BlockTooSmall(InputError):
    """A single field is larger than the CSV block: read again with a larger block."""


@dataclass
class Input:
    """One file (or stdin) of an input, with what a report says about it."""

    path: str
    format: str  # "csv" | "parquet"
    size: int | None
    rows: int = 0
    compression: str | None = None
    sha256: str | None = None
    local: str | None = None  # where stdin was saved when it has to be read twice
    skipped: int = 0  # malformed lines skipped (--skip-bad-lines)
    skipped_rows: list[int] = field(default_factory=list)
    passes: int = 0  # times its data was read (a date pass for a default window, the scan)

    @property
    def is_stdin(self) -> bool:
        return self.path == "-" and self.local is None

    @property
    def read_path(self) -> str:
        return self.local or self.path

    def to_dict(self) -> dict:
        out = {"path": self.path, "format": self.format, "size": self.size, "rows": self.rows}
        if self.skipped:
            out["skipped_lines"] = self.skipped
        if self.sha256:
            out["sha256"] = self.sha256
        return out

    def hash(self) -> None:
        """Record the file's sha256 (stdin has none: it cannot be read twice)."""
        if self.path == "-":
            return
        import hashlib  # lazy, as tempfile below: ~10 ms of start-up together

        digest = hashlib.sha256()
        with open(self.read_path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        self.sha256 = digest.hexdigest()


def _kind(path: Path) -> tuple[str, str | None] | None:
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    compression = COMPRESSION_SUFFIXES.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    if not suffixes:
        return None
    if suffixes[-1] in PARQUET_SUFFIXES and not compression:
        return "parquet", None
    if suffixes[-1] in CSV_SUFFIXES:
        return "csv", compression
    return None


def resolve_inputs(specs: Sequence[str]) -> list[Input]:
    """Expand paths, globs and directories (recursively, sorted) into files; `-` is stdin."""
    if not specs:
        raise InputError("no input given", hint="name a file, a glob, a directory, or - for stdin")
    inputs: list[Input] = []
    for spec in specs:
        if spec == "-":
            inputs.append(Input("-", "csv", None))
            continue
        path = Path(spec)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and _kind(p)
                and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
            )
            if not found:
                raise InputError(f"{spec}: directory holds no .csv or .parquet files")
            inputs.extend(_file_input(p) for p in found)
        elif path.is_file():
            inputs.append(_file_input(path, explicit=True))
        elif any(ch in spec for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
            if not matches:
                raise InputError(f"{spec}: no file matches this pattern")
            inputs.extend(_file_input(p, explicit=True) for p in matches)
        else:
            raise InputError(f"{spec}: no such file or directory")
    return inputs


def _file_input(path: Path, explicit: bool = False) -> Input:
    kind = _kind(path)
    if kind is None:
        if not explicit:
            raise InputError(f"{path}: not a .csv or .parquet file")
        kind = ("csv", None)  # an explicitly named file of unknown suffix: sniffed on open
    fmt, compression = kind
    if fmt == "csv" and compression is None:
        with open(path, "rb") as fh:
            head = fh.read(4)
        if head.startswith(b"PAR1"):
            fmt = "parquet"
        else:
            compression = next((c for m, c in _MAGIC.items() if head.startswith(m)), None)
    return Input(str(path), fmt, path.stat().st_size, compression=compression)


def spool(item: Input) -> Input:
    """Save stdin to a temporary file (removed at exit) so that it can be read twice."""
    if not item.is_stdin:
        return item
    import shutil
    import tempfile

    with tempfile.NamedTemporaryFile(prefix="cx-stdin-", delete=False) as handle:
        shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
    if not _SPOOLED:
        atexit.register(remove_spooled)
    _SPOOLED.append(handle.name)
    saved = _file_input(Path(handle.name), explicit=True)
    return Input("-", saved.format, None, compression=saved.compression, local=handle.name)


_SPOOLED: list[str] = []


def remove_spooled() -> None:
    """Remove the files `spool` saved stdin to (at exit, or earlier by the CLI)."""
    while _SPOOLED:
        with contextlib.suppress(OSError):
            os.unlink(_SPOOLED.pop())


class _Replay(io.RawIOBase):
    """A byte stream that gives back `head` and then the rest of `rest`: stdin read twice."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class CsvLayout:
    """What the first bytes of a CSV tell: the header, delimiter and encoding."""

    columns: list[str]
    delimiter: str
    encoding: str


def _sniff_layout(head: bytes, source: str, suffix_tab: bool, encoding: str | None) -> CsvLayout:
    if encoding is None:
        encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    try:
        text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    except LookupError:
        raise InputError(f"--encoding {encoding!r} is not an encoding Python knows") from None
    if not text.strip():
        raise InputError(f"{source}: the file is empty (no header line)")
    text = text.lstrip("\r\n")  # the CSV reader skips blank lines before the header too
    first_line = text.split("\n", 1)[0]
    if suffix_tab:
        delimiter = "\t"
    else:
        counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
        delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise InputError(f"{source}: cannot read the header line: {exc}") from None
    if any("\ufffd" in name for name in header) or "\x00" in first_line:
        raise InputError(
            f"{source}: line 1: the header is not {encoding.upper()} text", hint=ENCODING_HINT
        )
    return CsvLayout(header, delimiter, encoding)  # names as the CSV reader sees them


class Reader:
    """Opens one Input: `columns` is its header; `batches(names)` streams those columns once."""

    def __init__(self, item: Input, settings: ReadSettings | None = None) -> None:
        self.item = item
        self.settings = settings or ReadSettings()
        self._stream: BinaryIO | None = None
        if item.is_stdin:
            self._open_stdin()
        if item.format == "parquet":
            self._open_parquet()
        else:
            self._open_csv()

    # --- opening -------------------------------------------------------------------------
    def _open_stdin(self) -> None:
        raw = sys.stdin.buffer
        head = raw.read(4)
        if head.startswith(b"PAR1"):
            self.item.format = "parquet"
            self._parquet_buffer = pa.py_buffer(head + raw.read())
            return
        compression = next((c for m, c in _MAGIC.items() if head.startswith(m)), None)
        stream: BinaryIO = io.BufferedReader(_Replay(head, raw), buffer_size=1 << 20)
        if compression:
            self.item.compression = compression
            native = pa.CompressedInputStream(pa.PythonFile(stream, mode="r"), compression)
            stream = io.BufferedReader(_NativeRaw(native), buffer_size=1 << 20)
        self._stream = stream

    def _open_parquet(self) -> None:
        import pyarrow.parquet as pq

        try:
            if self.item.is_stdin:
                self._parquet = pq.ParquetFile(pa.BufferReader(self._parquet_buffer))
            else:
                # pre_buffer would hold whole row groups in memory: stream pages instead.
                self._parquet = pq.ParquetFile(
                    self.item.read_path, pre_buffer=False, buffer_size=1 << 20
                )
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.item.path}: not a readable Parquet file ({exc})") from None
        self.columns = list(self._parquet.schema_arrow.names)

    def _raw_csv(self) -> BinaryIO:
        if self._stream is not None:
            return self._stream
        return pa.input_stream(self.item.read_path, compression=self.item.compression)

    def _open_csv(self) -> None:
        stream = self._raw_csv()
        head = b""
        try:
            while len(head) < _HEAD_LIMIT:
                chunk = stream.read(65_536 if not head else len(head))
                head += chunk
                if not chunk or _has_complete_line(head):
                    break
        except (OSError, EOFError, pa.ArrowInvalid) as exc:
            raise InputError(f"{self.item.path}: cannot read: {exc}") from None
        if not chunk:  # all of it is in `head`: serve it from memory, ending in a newline
            self._stream = io.BytesIO(head if head.endswith(b"\n") or not head else head + b"\n")
        elif self.item.is_stdin:
            self._stream = io.BufferedReader(_Replay(head, stream), buffer_size=1 << 20)
        if not self.item.is_stdin:
            stream.close()
        suffix_tab = self.item.path.lower().removesuffix(".gz").endswith(".tsv")
        self.layout = _sniff_layout(head, self.item.path, suffix_tab, self.settings.encoding)
        self.columns = self.layout.columns

    # --- reading -------------------------------------------------------------------------
    def batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        """The named columns, batch by batch; every CSV column arrives as text."""
        if self.item.format == "parquet":
            yield from self._parquet_batches(names)
        else:
            yield from self._csv_batches(names)

    def _parquet_batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._parquet.iter_batches(batch_size=BATCH_ROWS, columns=list(names)):
                self.item.rows += batch.num_rows
                yield batch
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.item.path}: cannot read Parquet data: {exc}") from None

    def ranges(self, parts: int) -> list[tuple[int, int]] | None:
        """Byte ranges that split a large plain UTF-8 CSV file into `parts` at line ends outside
        quoted values (RFC 4180: an even number of '"' before a position means outside), so
        that each can be parsed on its own core; None when the file is not such a file, or
        when its quotes do not pair up (the one-stream read then names the row)."""
        if (
            parts < 2
            or self.item.format != "csv"
            or self.item.path == "-"
            or self.item.compression
            or self._stream is not None
            or self.layout.encoding.replace("-", "").lower() != "utf8"
            or (self.item.size or 0) < PARALLEL_MIN_BYTES
        ):
            return None
        size = self.item.size or 0
        targets = [size * i // parts for i in range(1, parts)]
        cuts = _safe_cuts(self.item.read_path, targets, size)
        if cuts is None:
            return None
        return list(itertools.pairwise([*cuts, size]))

    def range_batches(self, names: Sequence[str], start: int, end: int) -> Iterator[pa.RecordBatch]:
        """The named columns of bytes [start, end) of the file; only the first range holds the
        header. Rows are counted by the caller."""
        import pyarrow.csv as pcsv

        stream = io.BufferedReader(_Slice(self.item.read_path, start, end), 1 << 20)
        options = self._csv_options(names, header=None if start == 0 else self.columns)
        try:
            yield from pcsv.open_csv(stream, *options)
        except pa.ArrowInvalid as exc:
            raise _csv_error(self.item.path, str(exc), self.settings.block_size) from None
        finally:
            stream.close()

    def _csv_options(self, names: Sequence[str], header: Sequence[str] | None = None) -> tuple:
        import pyarrow.csv as pcsv

        layout = self.layout
        read = pcsv.ReadOptions(
            use_threads=False,
            block_size=self.settings.block_size,
            encoding=layout.encoding,
            column_names=list(header) if header is not None else None,
        )
        parse = pcsv.ParseOptions(
            delimiter=layout.delimiter,
            newlines_in_values=True,
            invalid_row_handler=self._skip if self.settings.skip_bad_lines else None,
        )
        # Text for every column read: no inference from the first block, and "NA" stays a
        # value (it is a region, not a null); missing spellings are the parsers' business.
        convert = pcsv.ConvertOptions(
            include_columns=list(names),
            column_types={name: pa.string() for name in names},
            strings_can_be_null=True,
            null_values=[""],
        )
        return read, parse, convert

    def _csv_batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        import pyarrow.csv as pcsv

        layout = self.layout
        read, parse, convert = self._csv_options(names)
        # An unclosed quote would turn the rest of the file into one value: count quotes.
        counted = layout.encoding.replace("-", "").lower() == "utf8"
        stream: Any = _QuoteCounter(self._raw_csv()) if counted else self._raw_csv()
        try:
            reader = pcsv.open_csv(
                io.BufferedReader(stream, 1 << 20) if counted else stream,
                read_options=read,
                parse_options=parse,
                convert_options=convert,
            )
            for batch in reader:
                self.item.rows += batch.num_rows
                yield batch
        except pa.ArrowInvalid as exc:
            raise _csv_error(self.item.path, str(exc), self.settings.block_size) from None
        except (OSError, EOFError) as exc:
            raise InputError(f"{self.item.path}: cannot read: {exc}") from None
        if counted and stream.quotes % 2:
            raise InputError(
                f"{self.item.path}: row {self.item.rows + self.item.skipped}: a quoted field is "
                "never closed, so the rest of the file would be read as one value",
                hint='close the quote; a quote inside a quoted field is written twice ("")',
            )

    def _skip(self, row: Any) -> str:
        """--skip-bad-lines: count a malformed line (and remember where) and go on."""
        self.item.skipped += 1
        if len(self.item.skipped_rows) < 5 and row.number is not None:
            self.item.skipped_rows.append(row.number - 1)  # pyarrow counts the header as 1
        return "skip"


class _Slice(io.RawIOBase):
    """Bytes [start, end) of a file."""

    def __init__(self, path: str, start: int, end: int) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed with the stream)
        self._file.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._file.readinto(memoryview(buffer)[: min(len(buffer), self._left)])
        self._left -= n
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def _safe_cuts(path: str, targets: list[int], size: int) -> list[int] | None:
    """Where to cut: the first line end after each target with an even number of '"' before
    it; None when the file's quotes do not pair up or no such line end follows a target. The
    quotes between targets are counted on one thread each (file reads and numpy release the
    GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    bounds = list(itertools.pairwise([0, *targets, size]))
    with ThreadPoolExecutor(len(bounds)) as pool:
        counts = list(pool.map(lambda span: _quotes(path, *span), bounds))
    before = np.cumsum([0, *counts])
    if before[-1] % 2:
        return None  # an unclosed quote: the one-stream read names its row
    with open(path, "rb", buffering=0) as fh:
        return _line_ends(fh, targets, before)


def _line_ends(fh: BinaryIO, targets: list[int], before: np.ndarray) -> list[int] | None:
    cuts = [0]
    for target, quotes in zip(targets, before[1:-1], strict=True):
        at, seen = target, int(quotes)
        while True:
            fh.seek(at)
            chunk = fh.read(1 << 16)
            newline = chunk.find(b"\n")
            if newline < 0:
                if len(chunk) < 1 << 16:
                    return None  # no line end after the target
                seen, at = seen + chunk.count(b'"'), at + len(chunk)
                continue
            seen += chunk.count(b'"', 0, newline)
            at += newline + 1
            if seen % 2 == 0:
                break
        if at > cuts[-1]:
            cuts.append(at)
    return cuts if len(cuts) > 1 else None


def _quotes(path: str, start: int, end: int, block: int = 1 << 20) -> int:
    """The number of '"' bytes in [start, end) of the file, read into one reused buffer and
    counted by numpy (several times faster than bytes.count, and memory stays one block)."""
    buffer = bytearray(min(block, max(end - start, 1)))
    data = np.frombuffer(buffer, dtype=np.uint8)
    total, at = 0, start
    with open(path, "rb", buffering=0) as fh:
        fh.seek(start)
        while at < end:
            n = fh.readinto(memoryview(buffer)[: min(len(buffer), end - at)])
            if not n:
                break
            total += int(np.count_nonzero(data[:n] == 34))
            at += n
    return total


class _QuoteCounter(io.RawIOBase):
    """Passes bytes through, counting '"' (in UTF-8 a quote byte is always a quote)."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.quotes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.quotes += data.count(b'"')
        return len(data)


class _NativeRaw(io.RawIOBase):
    def __init__(self, native) -> None:
        self._native = native

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._native.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _has_complete_line(head: bytes) -> bool:
    """True once the header record has ended: a newline with an even number of quotes before."""
    quotes = 0
    for line in head.split(b"\n")[:-1]:
        quotes += line.count(b'"')
        if quotes % 2 == 0:
            return True
    return False


_ROW = re.compile(r"Row #(\d+): (.*)$", re.S)
ENCODING_HINT = "give its encoding, e.g. --encoding latin-1 (or convert it to UTF-8)"


def _csv_error(path: str, message: str, block_size: int) -> InputError:
    match = _ROW.search(message)
    if match and "UTF8" in message:
        row = int(match.group(1)) - 1
        return InputError(f"{path}: row {row}: the text is not UTF-8", hint=ENCODING_HINT)
    if match:
        row = int(match.group(1)) - 1  # pyarrow counts the header as row 1
        detail = match.group(2).strip()
        got = re.match(r"Expected (\d+) columns, got (\d+): (.*)", detail, re.S)
        if got:
            detail = (
                f"expected {got.group(1)} fields, found {got.group(2)}: {shorten(got.group(3))}"
            )
        return InputError(
            f"{path}: row {row}: {detail}",
            hint="fix the line, or give --skip-bad-lines to skip (and count) such lines",
        )
    if "straddling object" in message:
        size = f"{block_size >> 20} MiB" if block_size >= 1 << 20 else f"{block_size >> 10} KiB"
        return BlockTooSmall(f"{path}: a field is larger than the {size} read block")
    return InputError(f"{path}: cannot parse CSV: {message.strip()[:200]}")
