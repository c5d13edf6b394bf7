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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CxError, InputError

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
    naming the process that holds it, instead of waiting behind a stuck run."""
    handles = []
    try:
        for path in sorted({p.resolve() for p in paths}):
            lock = path.with_name(f".{path.name}.lock")
            try:
                lock.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise CxError(f"cannot write in {lock.parent}: {exc.strerror or exc}") from None
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
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
            handles.append(fd)
        yield
    finally:
        for fd in handles:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


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
        import pyarrow.parquet as pq

        try:
            table = pq.ParquetFile(self.path).read()
        except Exception as exc:  # a truncated or foreign file: say which, never a traceback
            raise InputError(f"{self.path}: not a cx history file ({exc})") from None
        missing = [c for c in ("run_date", "id", "value", "result") if c not in table.schema.names]
        if missing:
            raise InputError(f"{self.path}: not a cx history file (no column {missing[0]!r})")
        return table.to_pylist()

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
        schema = pa.schema(
            [
                ("run_date", pa.string()),
                ("id", pa.string()),
                ("kpi", pa.string()),
                ("label", pa.string()),
                ("value", pa.float64()),
                ("n", pa.int64()),
                ("ci_low", pa.float64()),
                ("ci_high", pa.float64()),
                ("unit", pa.string()),
                ("result", pa.string()),
                ("generated_at", pa.string()),
            ]
        )
        table = pa.Table.from_pylist(
            [{c: r.get(c) for c in COLUMNS} for r in self.rows], schema=schema
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            pq.write_table(table, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            raise CxError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
