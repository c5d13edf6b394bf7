"""Benchmark cx against DuckDB, polars and pandas computing the same numbers on the same files.

    make bench                                # 10M survey rows, 3 runs each
    python bench/bench.py --rows 1000000 --runs 5 --tools cx,duckdb

Data is generated once (deterministic) into bench_data/ (git-ignored). Every tool runs as its own
process; the table gives medians of wall time, CPU time and peak RSS, and the ratio to DuckDB.
The values every tool prints must agree, or the run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CX = str(Path(PYTHON).parent / "cx")

NPS_SQL = """
with s as (select try_cast(trim("LTR") as double) as v
           from read_csv('{path}', all_varchar = true, header = true))
select 100.0 * (count(*) filter (where v >= 9) - count(*) filter (where v <= 6)) / count(*)
from s where v = floor(v) and v between 0 and 10
"""
NPS_SQL_PARQUET = NPS_SQL.replace(
    "read_csv('{path}', all_varchar = true, header = true)", "read_parquet('{path}')"
).replace('trim("LTR")', '"LTR"')

POLARS = """
import polars as pl, sys
path = sys.argv[1]
scan = pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(path, infer_schema=False)
v = pl.col("LTR").cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)
out = (scan.select(v.alias("v")).filter((pl.col("v") == pl.col("v").floor())
       & pl.col("v").is_between(0, 10))
       .select(100 * ((pl.col("v") >= 9).sum() - (pl.col("v") <= 6).sum()) / pl.len()).collect())
print(out.item())
"""
PANDAS = """
import pandas as pd, sys
path = sys.argv[1]
if path.endswith(".parquet"):
    raw = pd.read_parquet(path, columns=["LTR"])["LTR"]
else:
    raw = pd.read_csv(path, usecols=["LTR"], dtype=str, keep_default_na=False)["LTR"]
v = pd.to_numeric(raw.astype(str).str.strip(), errors="coerce")
v = v[(v == v.round()) & v.between(0, 10)]
print(100 * ((v >= 9).sum() - (v <= 6).sum()) / len(v))
"""
DUCKDB = """
import duckdb, sys
duckdb.sql("set enable_progress_bar = false")
print(duckdb.sql(sys.argv[2].format(path=sys.argv[1])).fetchall()[0][0])
"""


def commands(path: Path) -> dict[str, list[str]]:
    sql = NPS_SQL_PARQUET if path.suffix == ".parquet" else NPS_SQL
    return {
        "cx": [CX, "nps", str(path), "--score", "LTR", "-q", "-f", "json"],
        "duckdb": [PYTHON, "-c", DUCKDB, str(path), sql],
        "polars": [PYTHON, "-c", POLARS, str(path)],
        "pandas": [PYTHON, "-c", PANDAS, str(path)],
    }


def value_of(tool: str, stdout: str) -> float:
    return json.loads(stdout)["value"] if tool == "cx" else float(stdout.strip())


def measure(argv: list[str]) -> tuple[float, float, float, str]:
    """(wall s, cpu s, peak RSS MB, stdout) of one process, its rusage from wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_chunks = []
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):
        out_chunks.append(chunk)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{argv[:3]} failed:\n{err.decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, b"".join(out_chunks).decode()


def ensure_data(folder: Path, rows: int) -> Path:
    marker = folder / f".survey-{rows}"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {rows:,} survey rows in {folder} …", file=sys.stderr)
        subprocess.run(
            [
                PYTHON,
                str(ROOT / "sample_data" / "generate.py"),
                "--rows",
                str(rows),
                "--seed",
                "11",
                "--out",
                str(folder),
            ],
            check=True,
        )
        marker.touch()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "bench_data")
    parser.add_argument("--tools", default="cx,duckdb,polars,pandas")
    args = parser.parse_args()
    tools = args.tools.split(",")
    folder = ensure_data(args.data / str(args.rows), args.rows)
    results = []
    for path in (folder / "survey.csv", folder / "survey.parquet"):
        argvs = commands(path)
        values = {}
        for tool in tools:
            runs = [measure(argvs[tool]) for _ in range(args.runs)]
            values[tool] = value_of(tool, runs[0][3])
            results.append(
                {
                    "job": f"nps {path.suffix[1:]}",
                    "tool": tool,
                    "wall_s": statistics.median(r[0] for r in runs),
                    "cpu_s": statistics.median(r[1] for r in runs),
                    "rss_mb": statistics.median(r[2] for r in runs),
                    "value": values[tool],
                }
            )
        spread = max(values.values()) - min(values.values())
        if spread > 1e-6:
            raise SystemExit(f"tools disagree on {path.name}: {values}")
    print(f"\n{args.rows:,} rows, median of {args.runs} runs, {os.cpu_count()} cores\n")
    print(
        f"{'job':<12}{'tool':<8}{'wall s':>8}{'cpu s':>8}{'RSS MB':>8}{'rows/s':>12}"
        f"{'wall/duckdb':>13}{'RSS/duckdb':>12}"
    )
    for r in results:
        ref = next((x for x in results if x["job"] == r["job"] and x["tool"] == "duckdb"), None)
        ratio = f"{r['wall_s'] / ref['wall_s']:.2f}" if ref else "-"
        mem = f"{r['rss_mb'] / ref['rss_mb']:.2f}" if ref else "-"
        print(
            f"{r['job']:<12}{r['tool']:<8}{r['wall_s']:>8.2f}{r['cpu_s']:>8.2f}"
            f"{r['rss_mb']:>8.0f}{args.rows / r['wall_s']:>12,.0f}{ratio:>13}{mem:>12}"
        )
    out = args.data / "results.json"
    out.write_text(json.dumps({"rows": args.rows, "runs": args.runs, "results": results}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
