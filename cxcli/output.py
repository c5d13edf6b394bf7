"""Writing reports atomically: a temporary file in the destination folder, fsync, rename.
A crash or a full disk leaves either the previous file or the complete new one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from .errors import CxError


def write_atomic(path: str | Path, content: str | Callable[[TextIO], None]) -> None:
    """Replace `path` with `content` — text, or a function that writes to the file — in one
    step: readers never see a partial file.

    A destination that exists and is not a regular file (/dev/stdout, a pipe, /dev/null) is
    written to in place: renaming over it would replace the device with a file.
    """
    write_files({path: content})


def write_files(files: Mapping[str | Path, str | Callable[[TextIO], None]]) -> None:
    """Write several files atomically, together: every one is written and synced to a
    temporary file first, and only then are they renamed into place, so an error while
    writing any of them leaves all the previous files as they were."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            tmp = _stage(Path(path), content)
            if tmp is not None:
                staged.append((tmp, Path(path)))
        for tmp, dest in staged:
            try:
                os.replace(tmp, dest)
            except OSError as exc:
                raise CxError(f"cannot write {dest}: {exc.strerror or exc}") from None
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    for folder in {dest.parent for _, dest in staged}:
        with contextlib.suppress(OSError):  # make the renames themselves durable
            dir_fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _stage(dest: Path, content: str | Callable[[TextIO], None]) -> str | None:
    """The synced temporary file that will replace `dest`, or None for a device written in
    place."""
    if dest.exists() and not dest.is_file():
        try:
            with open(dest, "w", encoding="utf-8", newline="") as fh:
                _write(fh, content)
        except OSError as exc:
            raise CxError(f"cannot write {dest}: {exc.strerror or exc}") from None
        return None
    folder = dest.parent if str(dest.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{dest.name}.", suffix=".tmp")
    except OSError as exc:
        raise CxError(f"cannot write {dest}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
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


def _write(fh: TextIO, content: str | Callable[[TextIO], None]) -> None:
    if isinstance(content, str):
        fh.write(content)
    else:
        content(fh)
