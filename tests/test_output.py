"""Atomic writes: a report is the old file or the complete new one, even when the writer is
killed, a write fails, or two writers race."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time

import pytest

from cxcli.errors import CxError
from cxcli.output import write_atomic

WRITER = """
import sys
from cxcli.output import write_atomic
text = sys.argv[2] * int(sys.argv[3])
chunks = range(0, len(text), 65536)
write_atomic(sys.argv[1], lambda fh: [fh.write(text[i : i + 65536]) for i in chunks])
"""


def test_replaces_and_keeps_mode(tmp_path):
    path = tmp_path / "r.json"
    write_atomic(path, "old")
    write_atomic(path, lambda fh: fh.write("new"))
    assert path.read_text() == "new"
    assert oct(path.stat().st_mode & 0o777) != "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failing_write_keeps_the_old_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "r.json"
    path.write_text("old report")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, full)
    with pytest.raises(CxError, match=r"cannot write .*No space left on device"):
        write_atomic(path, "new report")
    monkeypatch.undo()
    assert path.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_a_killed_writer_leaves_the_old_file_or_the_new_one(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old report")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "x", str(300_000_000)])
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert path.read_text()[:10] in ("old report", "x" * 10)
    content = path.read_text()
    assert content == "old report" or content == "x" * 300_000_000


def test_two_concurrent_writers_leave_one_complete_file(tmp_path):
    path = tmp_path / "r.json"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), letter, str(5_000_000)])
        for letter in "ab"
    ]
    for proc in procs:
        assert proc.wait() == 0
    content = path.read_text()
    assert content in ("a" * 5_000_000, "b" * 5_000_000)
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
