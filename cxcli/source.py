"""Inputs: paths, globs, directories and stdin, and what each file is — CSV, JSON Lines,
Excel or Parquet — told by its first bytes, not by its name alone. `open_reader` opens one
with the reader of its format (cxcli/formats/), which streams record batches of only the
columns asked for."""

from __future__ import annotations

import atexit
import contextlib
import glob
import io
import os
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .errors import InputError

if TYPE_CHECKING:
    from .formats import Reader

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
PARQUET_SUFFIXES = (".parquet", ".pq")
COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\x28\xb5\x2f\xfd": "zstd"}
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Formats cx does not read, by their first bytes: what they are, and what to do.
_EXPORT = "export the data as CSV, JSON Lines, Excel (.xlsx) or Parquet"
_OTHER_FORMATS = (
    (b"%PDF", "a PDF document", _EXPORT),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV (sqlite3 -csv)"),
    (b"ARROW1", "an Arrow IPC (Feather) file", "write it as Parquet (pyarrow.parquet)"),
    (b"FEA1", "a Feather file", "write it as Parquet (pyarrow.parquet)"),
    (b"ORC", "an ORC file", "write it as Parquet"),
    (b"Obj\x01", "an Avro file", "write it as Parquet or JSON Lines"),
    (b"\xfd7zXZ\x00", "an xz archive", "decompress it first (xz -d)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it first"),
    (b"Rar!", "a RAR archive", "extract it first"),
    (b"\x89PNG", "a PNG image", _EXPORT),
    (b"\xff\xd8\xff", "a JPEG image", _EXPORT),
    (b"GIF8", "a GIF image", _EXPORT),
)
_MARKUP = (
    (b"<!doctype html", "an HTML page", _EXPORT),
    (b"<html", "an HTML page", _EXPORT),
    (b"<?xml", "an XML file", "save it as .xlsx or CSV (XML spreadsheets are not read)"),
)
BATCH_ROWS = 65_536
CSV_BLOCK = 1 << 19  # 512 KiB: 1 MiB was 0.03 s faster on 10M rows but 35 MB heavier (read-ahead)


@dataclass(frozen=True)
class ReadSettings:
    """How an input is read: the encoding of text (None: UTF-8, or UTF-16 when it has a BOM),
    whether malformed CSV lines are skipped (and counted) instead of stopping the run, the CSV
    block size, the Excel sheet (a name, or its number from 1), and the number of header
    rows (None: one, or what a survey platform's layout says)."""

    encoding: str | None = None
    skip_bad_lines: bool = False
    block_size: int = CSV_BLOCK
    sheet: str | None = None
    header_rows: int | None = None
    s3_endpoint: str | None = None  # --s3-endpoint (default: AWS_ENDPOINT_URL)


class BlockTooSmall(InputError):
    """A single field is larger than the CSV block: read again with a larger block."""


@dataclass
class Input:
    """One file (or stdin) of an input, with what a report says about it."""

    path: str
    format: str  # "csv" | "json" | "excel" | "parquet"
    size: int | None
    rows: int = 0
    compression: str | None = None
    sha256: str | None = None
    local: str | None = None  # where stdin was saved when it has to be read twice
    skipped: int = 0  # malformed lines skipped (--skip-bad-lines)
    skipped_rows: list[int] = field(default_factory=list)
    passes: int = 0  # times its data was read (a date pass for a default window, the scan)
    pipe: bool = False  # a FIFO or device named by path: read once, as stdin is
    notes: list[str] = field(default_factory=list)  # what resolving the inputs said of it
    data: Any = field(default=None, repr=False)  # data in memory (format "arrow"): no file
    partitions: tuple[tuple[str, str | None], ...] = ()  # hive key=value folders above it

    @property
    def remote(self) -> bool:
        """An object in a store (`s3://…`), read through pyarrow.fs."""
        return "://" in self.path

    @property
    def is_stdin(self) -> bool:
        return (self.path == "-" or self.pipe) and self.local is None

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
        if self.path == "-" or self.pipe:
            return
        import hashlib  # lazy, as tempfile below: ~10 ms of start-up together

        digest = hashlib.sha256()
        with open_stream(self, ReadSettings(), compressed=True) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        self.sha256 = digest.hexdigest()


def suffix_kind(path: str | Path) -> tuple[str, str | None] | None:
    """(format, compression) by the file's name, or None for a name cx does not know."""
    suffixes = [s.lower() for s in Path(path).suffixes[-2:]]
    compression = COMPRESSION_SUFFIXES.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    if not suffixes:
        return None
    last = suffixes[-1]
    for kind, known in (
        ("parquet", PARQUET_SUFFIXES),
        ("excel", EXCEL_SUFFIXES),
        ("csv", CSV_SUFFIXES),
        ("json", JSON_SUFFIXES),
    ):
        if last in known and (compression is None or kind in ("csv", "json")):
            return kind, compression
    return None


def resolve_inputs(
    specs: Sequence[Any], skip_unreadable: bool = False, settings: ReadSettings | None = None
) -> list[Input]:
    """Expand paths, globs and directories (recursively, sorted, not following links to
    folders) into files, each once by its real path (`notes` of the first says which names were
    the same file), with the hive partitions of their folders below a directory named; `-` is
    stdin, and a pipe or device (a FIFO, /dev/stdin) is read as a stream; `s3://…` and the
    other stores list their objects (datasets.py). An entry that cannot be read is an error,
    or with `skip_unreadable` a note."""
    if not specs:
        raise InputError("no input given", hint="name a file, a glob, a directory, or - for stdin")
    inputs: list[Input] = []
    by_real: dict[str, Input] = {}
    aliases: dict[str, list[str]] = {}  # other names of a file already read
    skipped: list[str] = []

    def unreadable(name: str, exc: OSError) -> None:
        if not skip_unreadable:
            raise InputError(
                f"{name}: cannot read: {exc.strerror or exc}",
                hint="fix its permissions, or give --skip-unreadable to go on without it",
            )
        skipped.append(name)

    def add(path: Path, root: Path | None = None) -> None:
        real = os.path.realpath(path)
        if real in by_real:
            aliases.setdefault(real, []).append(str(path))
            return
        try:
            item = _file_input(path)
        except PermissionError as exc:
            unreadable(str(path), exc)
            return
        if root is not None:
            from .datasets import partitions_of

            item.partitions = partitions_of(path.relative_to(root).parts[:-1])
        by_real[real] = item
        inputs.append(item)

    for spec in specs:
        if not isinstance(spec, str | os.PathLike):  # a DataFrame, an Arrow table …
            from .formats.arrow import describe, rereadable

            inputs.append(Input(describe(spec), "arrow", None, data=rereadable(spec)))
            continue
        if spec == "-":
            inputs.append(Input("-", "csv", None))
            continue
        from .datasets import is_uri, list_objects

        if is_uri(spec):
            inputs.extend(list_objects(spec, (settings or ReadSettings()).s3_endpoint))
            continue
        path = Path(spec)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:
            unreadable(spec, exc)
            continue
        if mode is not None and stat.S_ISDIR(mode):
            found = _walk(path, unreadable)
            if not found:
                raise InputError(
                    f"{spec}: directory holds no .csv, .jsonl, .xlsx or .parquet files"
                )
            for p in found:
                add(p, path)
        elif mode is not None and _streamed(mode):
            inputs.append(Input(spec, "csv", None, pipe=True))
        elif mode is not None:
            add(path)
        elif any(ch in spec for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
            if not matches:
                raise InputError(f"{spec}: no file matches this pattern")
            for p in matches:
                add(p)
        else:
            raise InputError(f"{spec}: no such file or directory")
    for real, names in aliases.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3:,} more" if len(names) > 3 else "")
        by_real[real].notes.append(f"{shown}: the same file as {by_real[real].path}, read once")
    if skipped and inputs:
        inputs[0].notes.append(
            f"skipped what cannot be read (--skip-unreadable): {', '.join(skipped[:5])}"
        )
    if not inputs:
        raise InputError(f"{specs[0]}: nothing readable (--skip-unreadable skipped it all)")
    return inputs


def is_stream(spec: str) -> bool:
    """`-`, or a path naming a pipe or a device: what can be read only once."""
    if not isinstance(spec, str | os.PathLike):
        return False  # data in memory
    if spec == "-":
        return True
    try:
        return _streamed(os.stat(spec).st_mode)
    except OSError:
        return False


def _streamed(mode: int) -> bool:
    """A pipe or a character device: read as a stream, once."""
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _walk(folder: Path, unreadable: Callable[[str, OSError], None]) -> list[Path]:
    """The data files under `folder`, sorted; links to folders are not followed (no loops),
    and names starting with `.` or `_` are left out."""
    found = []
    for root, dirs, files in os.walk(folder, onerror=lambda e: unreadable(e.filename, e)):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in files:
            path = Path(root) / name
            if not name.startswith((".", "_")) and suffix_kind(path) and path.is_file():
                found.append(path)
    return sorted(found)


def _file_input(path: Path) -> Input:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", errors="backslashreplace")
        raise InputError(
            f"{shown}: the file name is not UTF-8, which the readers need",
            hint="rename the file (e.g. convmv -f latin1 -t utf8 --notest FILE)",
        ) from None
    with open(path, "rb") as fh:
        head = fh.read(1024)
    by_name = suffix_kind(path)
    named = by_name[0] if by_name else None
    if named == "csv" and path.name.lower().removesuffix(".gz").endswith(".txt"):
        named = None  # a .txt file may hold JSON Lines too
    fmt, compression = sniff(head, str(path), named, path)
    if compression and named is None:  # what the compressed bytes hold
        import pyarrow as pa

        try:
            with pa.input_stream(str(path), compression=compression) as inner:
                fmt = text_kind(inner.read(1024), named)
        except (OSError, pa.ArrowInvalid):
            pass  # a damaged stream: the reader says so, naming the file
    return Input(str(path), fmt, path.stat().st_size, compression=compression)


def text_kind(head: bytes, named: str | None) -> str:
    """JSON or CSV, for text whose name does not say: JSON starts with `{` or `[`."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if named == "json" or (named != "csv" and text[:1] in (b"{", b"[")) else "csv"


def sniff(
    head: bytes, source: str, named: str | None, path: Path | None = None
) -> tuple[str, str | None]:
    """(format, compression) from a file's first bytes; `named` is what its suffix says (a
    text suffix cannot hide a Parquet file, a workbook or a compressed stream). Formats cx
    does not read are an error that says what the file is and what to do."""
    if head.startswith(b"PAR1"):
        return "parquet", None
    if head.startswith((_ZIP, _OLE)):
        _check_workbook(head, source, path)
        return "excel", None
    compression = next((c for m, c in _MAGIC.items() if head.startswith(m)), None)
    if compression:
        return (named if named == "json" else "csv"), compression
    for magic, what, hint in _OTHER_FORMATS:
        if head.startswith(magic):
            raise InputError(f"{source}: this is {what}, not a table cx reads", hint=hint)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for magic, what, hint in _MARKUP:
        if text.startswith(magic):
            raise InputError(f"{source}: this is {what}, not a table cx reads", hint=hint)
    if named in ("parquet", "excel"):
        raise InputError(
            f"{source}: the name says {named}, but the file is text",
            hint="check the file (a failed download?), or rename it .csv if it is CSV",
        )
    return text_kind(head, named), None


def _check_workbook(head: bytes, source: str, path: Path | None) -> None:
    """A ZIP that is not a workbook, or an OLE file that is an encrypted one, is named."""
    if head.startswith(_OLE):
        if path is not None:
            with open(path, "rb") as fh:
                start = fh.read(1 << 16)
            if "EncryptedPackage".encode("utf-16-le") in start:
                raise InputError(
                    f"{source}: this is a password-protected workbook",
                    hint="save it without a password, or export the sheet as CSV",
                )
        return
    if path is None:
        return
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{source}: a damaged ZIP archive or workbook ({exc})") from None
    if any(n in names for n in ("xl/workbook.xml", "xl/workbook.bin", "content.xml")):
        return
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    raise InputError(
        f"{source}: this is a ZIP archive ({shown}), not a workbook",
        hint="extract it first, then point cx at the files",
    )


def spool(item: Input) -> Input:
    """Save stdin to a temporary file (removed at exit) so that it can be read twice."""
    if not item.is_stdin:
        return item
    import shutil
    import tempfile

    with tempfile.NamedTemporaryFile(prefix="cx-stdin-", delete=False) as handle:
        shutil.copyfileobj(_stream_of(item), handle, 1 << 20)
    if not _SPOOLED:
        atexit.register(remove_spooled)
    _SPOOLED.append(handle.name)
    saved = _file_input(Path(handle.name))
    return Input(item.path, saved.format, None, compression=saved.compression, local=handle.name)


_SPOOLED: list[str] = []


def remove_spooled() -> None:
    """Remove the files `spool` saved stdin to (at exit, or earlier by the CLI)."""
    while _SPOOLED:
        with contextlib.suppress(OSError):
            os.unlink(_SPOOLED.pop())


class FileSlice(io.RawIOBase):
    """Bytes [start, end) of a file: a byte range that a reader parses on its own thread."""

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


class Replay(io.RawIOBase):
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


class NativeRaw(io.RawIOBase):
    """A pyarrow input stream as a Python raw stream."""

    def __init__(self, native) -> None:
        self._native = native

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._native.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _stream_of(item: Input) -> BinaryIO:
    """The byte stream of stdin or of a pipe named by path (opened once)."""
    if item.path == "-":
        return sys.stdin.buffer
    try:
        return open(item.path, "rb")
    except OSError as exc:
        raise InputError(f"{item.path}: cannot read: {exc.strerror or exc}") from None


def open_stream(item: Input, settings: ReadSettings, compressed: bool = False) -> Any:
    """A file's or an object's bytes as a pyarrow stream, decompressed unless `compressed`."""
    import pyarrow as pa

    compression = None if compressed else item.compression
    if item.remote:
        from .datasets import open_stream as open_object

        return open_object(replace(item, compression=compression), settings.s3_endpoint)
    return pa.input_stream(item.read_path, compression=compression)


def open_reader(item: Input, settings: ReadSettings | None = None) -> Reader:
    """The reader of the item's format (stdin is told by its first bytes), with the hive
    partitions of its folders as columns."""
    reader = _open_reader(item, settings or ReadSettings())
    if item.partitions:
        from .formats.partitions import PartitionedReader

        return PartitionedReader(reader)
    return reader


def _open_reader(item: Input, settings: ReadSettings) -> Reader:
    stream: BinaryIO | None = None  # stdin, decompressed
    if item.is_stdin:
        raw = _stream_of(item)
        head = raw.read(1024)
        item.format, item.compression = sniff(head, item.path, None)
        stream = io.BufferedReader(Replay(head, raw), buffer_size=1 << 20)
        if item.compression:
            import pyarrow as pa

            native = pa.CompressedInputStream(pa.PythonFile(stream, mode="r"), item.compression)
            stream = io.BufferedReader(NativeRaw(native), buffer_size=1 << 20)
            head = stream.peek(1024)[:1024]
            item.format = text_kind(head, None)
    if item.format == "arrow":
        from .formats.arrow import ArrowReader

        return ArrowReader(item, settings)
    if item.format == "parquet":
        from .formats.parquet import ParquetReader

        return ParquetReader(item, settings, stream)
    if item.format == "excel":
        from .formats.workbook import WorkbookReader

        return WorkbookReader(item, settings, stream)
    if item.format == "json":
        from .formats.jsonlines import JsonReader

        return JsonReader(item, settings, stream)
    from .formats.delimited import CsvReader

    return CsvReader(item, settings, stream)
