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
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

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


def _suffix_kind(path: Path) -> tuple[str, str | None] | None:
    """(format, compression) by the file's name, or None for a name cx does not know."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
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
                and _suffix_kind(p)
                and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
            )
            if not found:
                raise InputError(
                    f"{spec}: directory holds no .csv, .jsonl, .xlsx or .parquet files"
                )
            inputs.extend(_file_input(p) for p in found)
        elif path.is_file():
            inputs.append(_file_input(path))
        elif any(ch in spec for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
            if not matches:
                raise InputError(f"{spec}: no file matches this pattern")
            inputs.extend(_file_input(p) for p in matches)
        else:
            raise InputError(f"{spec}: no such file or directory")
    return inputs


def _file_input(path: Path) -> Input:
    with open(path, "rb") as fh:
        head = fh.read(1024)
    by_name = _suffix_kind(path)
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
        shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
    if not _SPOOLED:
        atexit.register(remove_spooled)
    _SPOOLED.append(handle.name)
    saved = _file_input(Path(handle.name))
    return Input("-", saved.format, None, compression=saved.compression, local=handle.name)


_SPOOLED: list[str] = []


def remove_spooled() -> None:
    """Remove the files `spool` saved stdin to (at exit, or earlier by the CLI)."""
    while _SPOOLED:
        with contextlib.suppress(OSError):
            os.unlink(_SPOOLED.pop())


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


def open_reader(item: Input, settings: ReadSettings | None = None) -> Reader:
    """The reader of the item's format (stdin is told by its first bytes)."""
    settings = settings or ReadSettings()
    stream: BinaryIO | None = None  # stdin, decompressed
    if item.is_stdin:
        raw = sys.stdin.buffer
        head = raw.read(1024)
        item.format, item.compression = sniff(head, "-", None)
        stream = io.BufferedReader(Replay(head, raw), buffer_size=1 << 20)
        if item.compression:
            import pyarrow as pa

            native = pa.CompressedInputStream(pa.PythonFile(stream, mode="r"), item.compression)
            stream = io.BufferedReader(NativeRaw(native), buffer_size=1 << 20)
            head = stream.peek(1024)[:1024]
            item.format = text_kind(head, None)
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
