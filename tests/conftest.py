"""Shared fixtures: files written from Python data, and a `cx` runner that parses JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import settings
from typer.testing import CliRunner

from cxcli.cli import app

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("long", max_examples=2000, deadline=None)  # make fuzz
settings.load_profile(os.environ.get("CX_HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
# What tools write in the checkout while the suite runs: their caches.
WRITTEN_BY_TOOLS = {".venv", ".pytest_cache", ".ruff_cache", ".hypothesis", "__pycache__", ".git"}
# The columns of the sample files (and of fresh exports from the generator), as each KPI is
# told them on the command line.
ROLE_ARGS = {
    "fcr": ["--contacts", "Touches", "--reopened", "Reopened", "--resolved-at", "Closed"],
    "aht": ["--talk", "Talk", "--hold", "Hold", "--acw", "Wrap"],
    "art": ["--created", "Opened", "--resolved", "Closed"],
    "churn": ["--id", "Customer", "--start", "Signup", "--end", "Cancelled"],
    "clv": ["--customer", "Cust", "--amount", "Amount", "--date", "Ordered"],
    "cac": ["--date", "Day", "--amount", "Cost", "--start", "Signup"],
    "mau": ["--user", "uid", "--time", "ts"],
    "redemption": ["--member", "member", "--points", "pts", "--type", "kind", "--time", "at"],
}
ROLE_ARGS["retention"] = ROLE_ARGS["churn"]
ROLE_ARGS["arpu"] = ROLE_ARGS["clv"]


def generate(folder: Path, kind: str, rows: int, seed: int, parquet: bool = True) -> Path:
    """A fresh export from sample_data/generate.py, with a seed the samples do not use."""
    args = [sys.executable, str(SAMPLE / "generate.py"), "--kind", kind, "--rows", str(rows)]
    args += ["--seed", str(seed), "--out", str(folder)]
    subprocess.run(args + ([] if parquet else ["--no-parquet"]), check=True)
    return folder


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cx() -> Callable[..., Run]:
    """Run `cx ARGS` in process, with stdout and stderr apart."""
    runner = CliRunner()

    def invoke(*args: str, input: str | bytes | None = None, env: dict | None = None) -> Run:
        result = runner.invoke(
            app, list(args), input=input, env={"NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = [",".join(header)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture
def sent_fragments(monkeypatch) -> list:
    """The fragments the engine schedules in a run (what workers would be sent)."""
    from cxcli import engine

    sent: list = []
    planned = engine._fragments

    def keep(*args, **kwargs):
        sent.extend(planned(*args, **kwargs))
        return sent

    monkeypatch.setattr(engine, "_fragments", keep)
    return sent


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    return write


@pytest.fixture
def write_parquet(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, columns: dict[str, pa.Array | list]) -> Path:
        path = tmp_path / name
        pq.write_table(pa.table(columns), path)
        return path

    return write


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> tuple[Path, dict]:
    """`cx report` over sample_data/cx.toml, run once: the output folder and the JSON."""
    out = tmp_path_factory.mktemp("report")
    args = ["report", "-c", str(SAMPLE / "cx.toml"), "-o", str(out), "--date", "2026-11-23", "-q"]
    args += ["--history", str(out / "history.parquet")]  # not the sample config's own
    result = CliRunner().invoke(app, args, env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    return out, json.loads((out / "report.json").read_text())


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` but the tools' caches: its size and modification time."""
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in WRITTEN_BY_TOOLS]
        for name in names:
            path = Path(folder, name)
            info = path.lstat()
            files[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return files


@pytest.fixture(scope="session", autouse=True)
def checkout_left_as_found():
    """The suite writes only under its temporary folders: after the last test, every file of
    the checkout (the user's own cx-report/ and history included) is as it was."""
    if os.environ.get("CX_UPDATE_GOLDEN"):  # make golden rewrites tests/golden/ on purpose
        yield
        return
    before = _tree(ROOT)
    yield
    after = _tree(ROOT)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the tests changed the checkout: {changed[:10]}"
