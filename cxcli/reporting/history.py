"""The report history: a Parquet file with one row per run date and KPI (its headline, and the
details a significance test needs), rewritten atomically under a lock. Re-running a date
replaces that date's rows, never duplicates them."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CxError, InputError
from ..output import write_files

COLUMNS = (
    "run_date",
    "id",
    "kpi",
    "label",
    "value",
    "n",
    "ci_low",
    "ci_high",
    "unit",
    "result",
    "generated_at",
)


class Locked(CxError):
    """Another cx report holds the lock (exit 2: nothing was written)."""


@contextlib.contextmanager
def locked(paths: list[Path]) -> Iterator[None]:
    """Hold an exclusive lock on `.<name>.lock` beside each path (in a fixed order); fail at once,
    naming the process that holds it, instead of waiting behind a stuck run. The lock files are
    removed when the run ends (while still held, so a run that opened one just before it went
    sees that and takes the new one)."""
    held: list[tuple[Path, int]] = []
    try:
        for path in sorted({p.resolve() for p in paths}):
            lock = path.with_name(f".{path.name}.lock")
            held.append((lock, _acquire(lock, path)))
        yield
    finally:
        for lock, fd in held:
            if _is_current(lock, fd):
                with contextlib.suppress(OSError):
                    lock.unlink()
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _acquire(lock: Path, path: Path) -> int:
    """The lock file's descriptor, locked, and still the file at `lock` (not one another run
    removed after we opened it)."""
    while True:
        fd = _open_lock(lock)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                os.close(fd)
                raise CxError(f"cannot lock {lock}: {exc.strerror}") from None
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise Locked(
                f"{path} is being written by another cx report ({holder}); nothing was written",
                hint="run again when it has finished",
            ) from None
        if _is_current(lock, fd):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
            return fd
        os.close(fd)  # removed by the run that just finished: lock the new one


def _is_current(lock: Path, fd: int) -> bool:
    """Whether `fd` is still the file named `lock`."""
    try:
        named = os.lstat(lock)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino)


def _open_lock(lock: Path) -> int:
    """The lock file, opened without following a link (O_NOFOLLOW) or waiting on a pipe
    (O_NONBLOCK); anything but a regular file there is refused, never written."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CxError(
                f"{lock} is a symbolic link, which cx does not create: not written through",
                hint="remove it (someone who can write the folder may have planted it)",
            ) from None
        raise CxError(f"cannot write in {lock.parent}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CxError(f"{lock} is not a regular file: not written", hint="remove it")
    return fd


def _schema() -> Any:
    import pyarrow as pa

    kinds = {"value": pa.float64(), "n": pa.int64(), "ci_low": pa.float64()}
    kinds["ci_high"] = pa.float64()
    return pa.schema([(name, kinds.get(name, pa.string())) for name in COLUMNS])


def _check_row(path: Path, number: int, row: dict[str, Any]) -> None:
    """A row of a history file as cx writes it, or an error naming the row."""
    problem = None
    if row["run_date"] is None or row["id"] is None:
        problem = "no run date or KPI id"
    else:
        try:
            dt.date.fromisoformat(row["run_date"])
            if not isinstance(json.loads(row["result"] or "{}"), dict):
                problem = "a result that is not a JSON object"
        except ValueError as exc:
            problem = f"an unreadable value ({exc})"
    if problem:
        raise InputError(f"{path}: row {number}: not a cx history row: {problem}")


@dataclass(frozen=True)
class Run:
    """One KPI in one past run."""

    run_date: dt.date
    value: float | None
    result: dict[str, Any]  # n and details: what `Kpi.from_result` reads


class History:
    """The runs recorded in one Parquet file (read whole: one small row per KPI and night)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = self._read()

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.ParquetFile(self.path).read()
        except Exception as exc:  # a truncated or foreign file: say which, never a traceback
            raise InputError(f"{self.path}: not a cx history file ({exc})") from None
        missing = [c for c in ("run_date", "id", "value", "result") if c not in table.schema.names]
        if missing:
            raise InputError(f"{self.path}: not a cx history file (no column {missing[0]!r})")
        expected = _schema()
        present = [f for f in expected if f.name in table.schema.names]
        try:
            table = table.select([f.name for f in present]).cast(pa.schema(present))
        except Exception as exc:  # columns of other types
            raise InputError(f"{self.path}: not a cx history file ({exc})") from None
        rows = [{name: row.get(name) for name in COLUMNS} for row in table.to_pylist()]
        for number, row in enumerate(rows, 1):
            _check_row(self.path, number, row)
        return rows

    def runs(self, entry_id: str, before: dt.date) -> list[Run]:
        """The KPI's runs before `before`, oldest first."""
        out = []
        for row in self.rows:
            day = dt.date.fromisoformat(row["run_date"])
            if row["id"] == entry_id and day < before:
                out.append(Run(day, row["value"], json.loads(row["result"] or "{}")))
        return sorted(out, key=lambda r: r.run_date)

    def record(self, run_date: dt.date, rows: list[dict[str, Any]]) -> None:
        """Replace the rows of `run_date` with `rows` and write the file atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        day = run_date.isoformat()
        kept = [r for r in self.rows if r["run_date"] != day]
        self.rows = sorted([*kept, *rows], key=lambda r: (r["run_date"], r["id"]))
        schema = _schema()
        table = pa.Table.from_pylist(
            [{c: r.get(c) for c in COLUMNS} for r in self.rows], schema=schema
        )
        sink = pa.BufferOutputStream()  # a row per KPI and night: small
        pq.write_table(table, sink)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_files({self.path: sink.getvalue().to_pybytes()})
