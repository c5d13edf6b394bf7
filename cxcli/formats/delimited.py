"""CSV (and TSV, `;` or `|` separated) through `pyarrow.csv.open_csv`, with every column read as
text (no type inference to trip over). The header records are parsed here, quote-aware, so that
survey exports' extra header rows are skipped as records (never as lines: a question with a
line break in it is one record) and duplicate or blank names are made unique; pyarrow is then
given the names and told how many records to skip. A large plain UTF-8 file is parsed in byte
ranges, one per core, cut at line ends outside quoted values."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

from ..errors import InputError, shorten
from ..source import BlockTooSmall, FileSlice, Input, ReadSettings, Replay, open_stream
from . import RangeError, Reader
from .header import SNIFF_ROWS, Header, read_header
from .quotes import QuoteScan, complete_records, field_starts, parity_breaks

PARALLEL_MIN_BYTES = 32 << 20  # a CSV file this large is parsed in byte ranges, one per core
SAMPLE_BYTES = 1 << 20  # the head read first: the header, and the sample of the first rows
_HEAD_LIMIT = 16 << 20  # a header record may be this long
ENCODING_HINT = "give its encoding, e.g. --encoding latin-1 (or convert it to UTF-8)"


@dataclass
class CsvLayout:
    """What the first bytes of a CSV tell: the delimiter and encoding, and how many records
    (blank ones included) come before the data."""

    delimiter: str
    encoding: str
    skip: int


class CsvReader(Reader):
    """One CSV file or stream; `columns` is its header."""

    def __init__(self, item: Input, settings: ReadSettings, stream: BinaryIO | None = None):
        super().__init__(item, settings)
        self._stream = stream  # stdin, decompressed
        self._open()

    # --- opening -------------------------------------------------------------------------
    def _raw(self) -> BinaryIO:
        if self._stream is not None:
            return self._stream
        return open_stream(self.item, self.settings)

    def _open(self) -> None:
        stream = self._raw()
        head, chunk = b"", b""
        try:
            while len(head) < _HEAD_LIMIT:
                chunk = stream.read(65_536 if not head else len(head))
                head += chunk
                if not chunk or (len(head) >= SAMPLE_BYTES and _has_complete_line(head)):
                    break
        except (OSError, EOFError, pa.ArrowInvalid) as exc:
            raise InputError(f"{self.item.path}: cannot read: {exc}") from None
        self._whole = not chunk  # the head is the whole file
        if self._whole:  # serve it from memory, ending in a newline (in its encoding)
            encoding = _bom_encoding(head)
            if encoding != "utf-8":  # a line end in the BOM's byte order
                encoding += "-le" if head[:2] == b"\xff\xfe" else "-be"
            newline = "\n".encode(encoding)
            head = head if head.endswith(newline) or not head else head + newline
            self._stream = io.BytesIO(head)
        elif self.item.is_stdin:
            self._stream = io.BufferedReader(Replay(head, stream), buffer_size=1 << 20)
        if not self.item.is_stdin:
            stream.close()
        suffix_tab = self.item.path.lower().removesuffix(".gz").endswith(".tsv")
        self.dialect, self.header, self._text = _sniff(
            head, self.item.path, suffix_tab, self.settings
        )

    # --- reading -------------------------------------------------------------------------
    @property
    def _before(self) -> int:
        """Rows pyarrow numbers before the first data row: the header's records."""
        return self.dialect.skip

    def _options(self, names: Sequence[str], first: bool = True) -> tuple:
        """Read, parse and convert options; `first`: the range that starts the file, whose
        header records are skipped."""
        import pyarrow.csv as pcsv

        layout = self.dialect
        read = pcsv.ReadOptions(
            use_threads=False,
            block_size=self.settings.block_size,
            encoding=layout.encoding,
            column_names=list(self.columns),
            skip_rows_after_names=layout.skip if first else 0,
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

    def sample(self, names: Sequence[str]) -> pa.Table:
        """The named columns of the complete records of the head (its first MiB)."""
        import pyarrow.csv as pcsv

        text = self._text if self._whole else _complete_records(self._text, self.dialect)
        read, parse, convert = self._options(names)
        read.encoding = "utf-8"
        parse.invalid_row_handler = lambda row: "skip"  # the scan reports them, with the row
        try:
            return pcsv.read_csv(
                io.BytesIO(text.encode("utf-8")), read, parse, convert
            ).combine_chunks()
        except pa.ArrowInvalid as exc:
            size, before = self.settings.block_size, self._before
            raise _csv_error(self.item.path, str(exc), size, before) from None

    def batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        """The named columns, batch by batch; every CSV column arrives as text."""
        import pyarrow.csv as pcsv

        layout = self.dialect
        read, parse, convert = self._options(names)
        # An unclosed quote would turn the rest of the file into one value: count quotes.
        counted = layout.encoding.replace("-", "").lower() == "utf8"
        stream: Any = _QuoteCounter(self._raw(), layout.delimiter) if counted else self._raw()
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
            raise _csv_error(
                self.item.path, str(exc), self.settings.block_size, self._before
            ) from None
        except (OSError, EOFError) as exc:
            raise InputError(f"{self.item.path}: cannot read: {exc}") from None
        if counted and stream.scan.inside:
            raise InputError(
                f"{self.item.path}: row {self.item.rows + self.item.skipped}: a quoted field is "
                "never closed, so the rest of the file would be read as one value",
                hint='close the quote; a quote inside a quoted field is written twice ("")',
            )

    def ranges(self, parts: int, min_bytes: int | None = None) -> list[tuple[int, int]] | None:
        """Byte ranges that split a large plain UTF-8 CSV file into `parts` at line ends outside
        quoted values (RFC 4180: an even number of '"' before a position means outside), so
        that each can be parsed on its own core; None when the file is not such a file, or
        when its quotes do not pair up (the one-stream read then names the row); a file of
        fewer than `min_bytes` (default PARALLEL_MIN_BYTES) is not cut."""
        min_bytes = PARALLEL_MIN_BYTES if min_bytes is None else min_bytes
        if not self.cuttable(parts, min_bytes, self.dialect.encoding):
            return None
        size = self.item.size or 0
        targets = [size * i // parts for i in range(1, parts)]
        cuts = _safe_cuts(self.item.read_path, targets, size, self.dialect.delimiter)
        cuts = [cut for cut in cuts or () if cut < size]  # a cut at the very end: no range
        if len(cuts) < 2:
            return None
        return list(itertools.pairwise([*cuts, size]))

    def range_batches(self, names: Sequence[str], start: int, end: int) -> Iterator[pa.RecordBatch]:
        """The named columns of bytes [start, end) of the file; only the first range holds the
        header. Rows are counted by the caller; a parse error is a RangeError, which the
        caller turns into the file's row once it knows the rows before the range."""
        import pyarrow.csv as pcsv

        stream = io.BufferedReader(FileSlice(self.item.read_path, start, end), 1 << 20)
        options = self._options(names, first=start == 0)
        try:
            yield from pcsv.open_csv(stream, *options)
        except pa.ArrowInvalid as exc:
            path, message, size = self.item.path, str(exc), self.settings.block_size
            before = self._before if start == 0 else 0
            raise RangeError(lambda rows: _csv_error(path, message, size, before - rows)) from None
        finally:
            stream.close()

    def _skip(self, row: Any) -> str:
        """--skip-bad-lines: count a malformed line (and remember where) and go on."""
        self.item.skipped += 1
        if len(self.item.skipped_rows) < 5 and row.number is not None:
            self.item.skipped_rows.append(row.number - self._before)
        return "skip"


def _sniff(
    head: bytes, source: str, suffix_tab: bool, settings: ReadSettings
) -> tuple[CsvLayout, Header, str]:
    """The layout and header of a CSV from its first bytes, and those bytes as text."""
    encoding = settings.encoding
    if encoding is None:
        encoding = _bom_encoding(head)
    try:
        text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    except LookupError:
        raise InputError(f"--encoding {encoding!r} is not an encoding Python knows") from None
    if not text.strip():
        raise InputError(f"{source}: the file is empty (no header line)")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if suffix_tab:
        delimiter = "\t"
    else:
        counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
        delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    records: list[list[str]] = []
    csv.field_size_limit(_HEAD_LIMIT)
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if record:
                records.append(record)
            if len(records) == SNIFF_ROWS:
                break
    except csv.Error as exc:
        if not records:  # later records are only for recognising a layout
            raise InputError(f"{source}: cannot read the header line: {exc}") from None
    header_text = [c for record in records[:1] for c in record]
    if any("\ufffd" in name for name in header_text) or "\x00" in first_line:
        hint = ENCODING_HINT
        if settings.encoding:
            hint = "the file may not be text at all: check what it is (file FILE)"
        raise InputError(f"{source}: line 1: the header is not {encoding.upper()} text", hint=hint)
    header = read_header(records, settings.header_rows)
    skip = _records_before_data(text, delimiter, header.rows)
    return CsvLayout(delimiter, encoding, skip), header, text


def _bom_encoding(head: bytes) -> str:
    """UTF-32 or UTF-16 when the bytes start with their byte-order mark, else UTF-8."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return "utf-8"


def _records_before_data(text: str, delimiter: str, header_rows: int) -> int:
    """How many records (blank ones included, as pyarrow counts them) the header takes."""
    seen = 0
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    with contextlib.suppress(csv.Error):
        for index, record in enumerate(records):
            seen += bool(record)
            if seen == header_rows:
                return index + 1
    return header_rows


def _complete_records(text: str, layout: CsvLayout) -> str:
    """Text up to its last line end outside a quoted value."""
    data = text.encode("utf-8", errors="surrogatepass")
    return data[: complete_records(data, layout.delimiter)].decode("utf-8", errors="replace")


def _safe_cuts(path: str, targets: list[int], size: int, delimiter: str) -> list[int] | None:
    """Where to cut: the first line end after each target with an even number of '"' before
    it; None when counting quotes cannot tell where the quoted values are (a quote inside an
    unquoted field, see quotes.py: the one-stream read follows them exactly), when they do
    not pair up, or when no such line end follows a target. The quotes between targets are
    counted on one thread each (file reads and numpy release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    bounds = list(itertools.pairwise([0, *targets, size]))
    starts = field_starts(delimiter)
    with ThreadPoolExecutor(len(bounds)) as pool:
        spans = list(pool.map(lambda span: _quotes(path, *span, starts), bounds))
    before = np.cumsum([0, *(count for count, _, _ in spans)])
    for (_, if_even, if_odd), quotes in zip(spans, before, strict=False):
        if if_odd if quotes % 2 else if_even:
            return None
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


def _quotes(
    path: str, start: int, end: int, starts: np.ndarray, block: int = 1 << 20
) -> tuple[int, bool, bool]:
    """The number of '"' bytes in [start, end) of the file, and whether counting them misreads
    the quoted values if the quotes before `start` are even, or odd (`parity_breaks`); read
    into one reused buffer (memory stays one block)."""
    buffer = bytearray(min(block, max(end - start, 1)))
    data = np.frombuffer(buffer, dtype=np.uint8)
    total, if_even, if_odd, at = 0, False, False, start
    with open(path, "rb", buffering=0) as fh:
        fh.seek(max(start - 1, 0))
        previous = fh.read(1)[0] if start else 10
        while at < end:
            n = fh.readinto(memoryview(buffer)[: min(len(buffer), end - at)])
            if not n:
                break
            if buffer.find(b'"', 0, n) < 0:  # one memchr: most blocks of most files
                count, even, odd = 0, False, False
            else:
                count, even, odd = parity_breaks(data[:n], previous, starts, total % 2)
            if_even, if_odd = if_even or even, if_odd or odd
            total, previous, at = total + count, int(data[n - 1]), at + n
    return total, if_even, if_odd


class _QuoteCounter(io.RawIOBase):
    """Passes bytes through, following its quoted values (in UTF-8 a quote byte is always a
    quote): `scan.inside` at the end means a quoted value was never closed."""

    def __init__(self, raw: Any, delimiter: str) -> None:
        self._raw = raw
        self.scan = QuoteScan(delimiter)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.scan.feed(np.frombuffer(data, dtype=np.uint8))
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


def _csv_error(path: str, message: str, block_size: int, before: int = 1) -> InputError:
    """An error of pyarrow's CSV reader as a message; `before` is the number of rows pyarrow
    counts before the first data row (the header's, 1 for a one-row header)."""
    match = _ROW.search(message)
    if match and "UTF8" in message:
        row = int(match.group(1)) - before
        return InputError(f"{path}: row {row}: the text is not UTF-8", hint=ENCODING_HINT)
    if match:
        row = int(match.group(1)) - before
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
