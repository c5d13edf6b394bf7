"""Writing files atomically and safely: a temporary file made in the destination folder by
mkstemp (O_EXCL: never an existing file, never through a link), fsync, rename. A crash or a
full disk leaves either the previous file or the complete new one.

A set of files (a report's JSON, Markdown and HTML) is written as one: all are staged first,
then a journal beside them lists the renames, then the renames run and the journal goes. A run
killed among the renames leaves the journal; the next run (`recover`) finishes the renames
before anything else, so the set is never left mixed. Temporary files that a killed run left
behind are removed once they are an hour old (`remove_stale`)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from .errors import CxError

Content = str | bytes | Callable[[TextIO], None]  # text or bytes, or a function writing text
STALE_SECONDS = 3600  # a temporary file of ours this old belongs to no running cx


def write_atomic(path: str | Path, content: Content) -> None:
    """Replace `path` (a path the user gave) with `content` — text, bytes, or a function that
    writes text to the file — in one step: readers never see a partial file.

    A destination that is a device or a pipe (/dev/stdout, /dev/null), itself or by the link
    the user named, is written to in place: renaming over it would replace it with a file.
    """
    write_files({path: content}, follow_links=True)


def write_files(
    files: Mapping[str | Path, Content],
    journal: Path | None = None,
    follow_links: bool = False,
) -> None:
    """Write several files atomically, together: every one is written and synced to a
    temporary file first, and only then are they renamed into place, so an error while
    writing any of them leaves all the previous files as they were. With `journal`, the renames
    are recorded there first (see `recover`). A link at a destination is replaced, never
    written through, unless `follow_links` (a path the user named)."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            tmp = _stage(Path(path), content, follow_links)
            if tmp is not None:
                staged.append((tmp, Path(path)))
        with _interrupts_deferred():
            if journal is not None:
                _write_journal(journal, staged)
            for tmp, dest in staged:
                _rename(tmp, dest)
            if journal is not None:
                os.unlink(journal)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    for folder in {dest.parent for _, dest in staged}:
        _sync_folder(folder)


def recover(journal: Path) -> list[Path]:
    """Finish the renames a killed run recorded in `journal` (its temporary files are complete
    and synced): the files it names, now all of one run."""
    try:
        pairs = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        pairs = []  # a journal cut short: it was never acted on (the renames follow its sync)
    done = []
    folder = journal.parent
    for tmp_name, dest_name in pairs if isinstance(pairs, list) else []:
        tmp, dest = folder / str(tmp_name), folder / str(dest_name)
        if Path(str(tmp_name)).name != str(tmp_name) or Path(str(dest_name)).name != dest_name:
            continue  # a journal names files of its own folder only
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISREG(os.lstat(tmp).st_mode):
                _rename(str(tmp), dest)
                done.append(dest)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(journal)
    _sync_folder(folder)
    return done


def remove_stale(folder: Path, names: Iterable[str], now: float | None = None) -> int:
    """Remove the temporary files (`.<name>.*.tmp`) of `names` in `folder` that a killed run
    left, once STALE_SECONDS old; links are removed, never followed. How many went."""
    now = time.time() if now is None else now
    prefixes = tuple(f".{name}." for name in names)
    removed = 0
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(folder):
            if not (entry.name.startswith(prefixes) and entry.name.endswith(".tmp")):
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime >= STALE_SECONDS:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _temporary(dest: Path) -> tuple[int, str]:
    """A new file beside `dest` (mkstemp: created, never opened through a link): its open
    descriptor and path."""
    folder = dest.parent if str(dest.parent) else Path(".")
    try:
        return tempfile.mkstemp(dir=folder, prefix=f".{dest.name}.", suffix=".tmp")
    except OSError as exc:
        raise CxError(f"cannot write {dest}: {exc.strerror or exc}") from None


def _stage(dest: Path, content: Content, follow_links: bool) -> str | None:
    """The synced temporary file that will replace `dest`, or None for a device written in
    place."""
    if _is_device(dest, follow_links):
        try:
            if isinstance(content, bytes):
                fh = open(dest, "wb")  # noqa: SIM115 (closed below)
            else:
                fh = open(dest, "w", encoding="utf-8", newline="")  # noqa: SIM115
            with fh:
                _write(fh, content)
        except OSError as exc:
            raise CxError(f"cannot write {dest}: {exc.strerror or exc}") from None
        return None
    fd, tmp = _temporary(dest)
    try:
        if isinstance(content, bytes):
            fh = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        with fh:
            _write(fh, content)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise CxError(f"cannot write {dest}: {exc.strerror or exc}") from None
        raise
    return tmp


def _is_device(dest: Path, follow_links: bool) -> bool:
    """A character device or a pipe at `dest` (through a link only if `follow_links`)."""
    try:
        mode = os.stat(dest).st_mode if follow_links else os.lstat(dest).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _write_journal(journal: Path, staged: list[tuple[str, Path]]) -> None:
    pairs = [[Path(tmp).name, dest.name] for tmp, dest in staged]
    if any(dest.parent != journal.parent for _, dest in staged):
        raise ValueError("a journal covers the files of its own folder")
    fd, tmp = _temporary(journal)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(pairs, fh)
            fh.flush()
            os.fsync(fh.fileno())
        _rename(tmp, journal)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _sync_folder(journal.parent)


def _rename(tmp: str, dest: Path) -> None:
    try:
        os.replace(tmp, dest)
    except OSError as exc:
        raise CxError(f"cannot write {dest}: {exc.strerror or exc}") from None


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # make the renames themselves durable
        dir_fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Ctrl-C waits until the renames are done (they take microseconds), so an interrupted
    run leaves the old set or the new one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _write(fh, content: Content) -> None:
    if isinstance(content, str | bytes):
        fh.write(content)
    else:
        content(fh)
