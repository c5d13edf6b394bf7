"""Benchmark cx against DuckDB, polars and pandas computing the same numbers on the same files.

    make bench                                # 10M survey rows and 10M tickets, 3 runs each
    python bench/bench.py --rows 1000000 --runs 5 --tools cx,duckdb

Jobs: NPS on CSV and Parquet, NPS by region and month, mean resolution time (ART). Data is
generated once (deterministic) into bench_data/ (git-ignored). Every tool runs as its own
process; the table gives medians of wall time, CPU time and peak RSS, and the ratio to DuckDB.
The values every tool prints (per group) must agree to 1e-6, or the run fails.
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

_NPS = "100.0 * (count(*) filter (where v >= 9) - count(*) filter (where v <= 6)) / count(*)"
_CSV = "read_csv('{path}', all_varchar = true, header = true)"
SQL = {
    "nps": f"""select '' as k, {_NPS} from (select try_cast(trim("LTR") as double) as v from {_CSV})
               where v = floor(v) and v between 0 and 10""",
    "nps_parquet": f"""select '' as k, {_NPS} from (select try_cast("LTR" as double) as v
                       from read_parquet('{{path}}')) where v = floor(v) and v between 0 and 10""",
    "nps_grouped": f"""select r || '|' || m as k, {_NPS} from (
        select "Region" as r, try_cast(trim("LTR") as double) as v,
               strftime(cast("Submitted At" as timestamptz) at time zone 'UTC', '%Y-%m') as m
        from {_CSV}) where v = floor(v) and v between 0 and 10 group by k""",
    "art": f"""select '' as k, avg(s) from (
        select epoch(cast("Closed" as timestamptz)) - epoch(cast("Opened" as timestamptz)) as s
        from {_CSV} where "Closed" <> '') where s >= 0""",
}
DUCKDB = """
import duckdb, json, sys
duckdb.sql("set enable_progress_bar = false")
print(json.dumps(dict(duckdb.sql(sys.argv[2].format(path=sys.argv[1])).fetchall())))
"""
POLARS = """
import json, polars as pl, sys
path, job = sys.argv[1], sys.argv[2]
scan = pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(path, infer_schema=False)
if job == "art":
    t = lambda c: pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=False)
    s = (t("Closed") - t("Opened")).dt.total_microseconds() / 1e6
    out = scan.select(s.alias("s")).filter(pl.col("s") >= 0).select(pl.col("s").mean()).collect()
    print(json.dumps({"": out.item()}))
    raise SystemExit
v = pl.col("LTR").cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False).alias("v")
count = lambda m: m.sum().cast(pl.Int64)  # unsigned counts would wrap below zero
nps = (100 * (count(pl.col("v") >= 9) - count(pl.col("v") <= 6)) / pl.len()).alias("nps")
ok = (pl.col("v") == pl.col("v").floor()) & pl.col("v").is_between(0, 10)
if job == "nps_grouped":
    month = pl.col("Submitted At").str.slice(0, 7).alias("m")
    out = (scan.select(pl.col("Region"), month, v).filter(ok).group_by("Region", "m")
           .agg(nps).collect())
    print(json.dumps({f"{r}|{m}": x for r, m, x in out.iter_rows()}))
else:
    print(json.dumps({"": scan.select(v).filter(ok).select(nps).collect().item()}))
"""
PANDAS = """
import json, pandas as pd, sys
path = sys.argv[1]
if path.endswith(".parquet"):
    raw = pd.read_parquet(path, columns=["LTR"])["LTR"]
else:
    raw = pd.read_csv(path, usecols=["LTR"], dtype=str, keep_default_na=False)["LTR"]
v = pd.to_numeric(raw.astype(str).str.strip(), errors="coerce")
v = v[(v == v.round()) & v.between(0, 10)]
print(json.dumps({"": 100 * ((v >= 9).sum() - (v <= 6).sum()) / len(v)}))
"""
TICKETS = ["--created", "Opened", "--resolved", "Closed"]


def jobs(survey: Path, tickets: Path) -> list[tuple[str, dict[str, list[str]]]]:
    """(job name, command per tool); every command prints {group key: value}."""
    parquet = survey.with_suffix(".parquet")

    def refs(path: Path, sql: str, job: str, pandas: bool = True) -> dict[str, list[str]]:
        out = {
            "duckdb": [PYTHON, "-c", DUCKDB, str(path), SQL[sql]],
            "polars": [PYTHON, "-c", POLARS, str(path), job],
        }
        if pandas:
            out["pandas"] = [PYTHON, "-c", PANDAS, str(path)]
        return out

    def cx(kpi: str, *args: str) -> list[str]:
        return [CX, kpi, *args, "-q", "-f", "json"]

    grouped = ["--by", "Region", "--period", "month", "--time", "Submitted At"]
    return [
        (
            "nps csv",
            {"cx": cx("nps", str(survey), "--score", "LTR"), **refs(survey, "nps", "nps")},
        ),
        (
            "nps parquet",
            {
                "cx": cx("nps", str(parquet), "--score", "LTR"),
                **refs(parquet, "nps_parquet", "nps"),
            },
        ),
        (
            "nps grouped",
            {
                "cx": cx("nps", str(survey), "--score", "LTR", *grouped),
                **refs(survey, "nps_grouped", "nps_grouped", pandas=False),
            },
        ),
        (
            "art csv",
            {
                "cx": cx("art", str(tickets), *TICKETS),
                **refs(tickets, "art", "art", pandas=False),
            },
        ),
    ]


def values_of(tool: str, stdout: str) -> dict[str, float]:
    data = json.loads(stdout)
    if tool != "cx":
        return data
    if not data["groups"]:
        return {"": data["value"]}
    return {f"{g['key']['Region']}|{g['key']['period']}": g["value"] for g in data["groups"]}


def agree(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-6 * max(1, abs(a[k])) for k in a)


def measure(argv: list[str]) -> tuple[float, float, float, str]:
    """(wall s, cpu s, peak RSS MB, stdout) of one process, its rusage from wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{argv[:4]} failed:\n{err.decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.decode()


def ensure_data(folder: Path, kind: str, rows: int) -> Path:
    """Generated once per kind and size (deterministic), then reused."""
    marker = folder / f".{kind}-{rows}"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {rows:,} {kind} rows in {folder} …", file=sys.stderr)
        generate = [PYTHON, str(ROOT / "sample_data" / "generate.py"), "--kind", kind]
        subprocess.run(
            [*generate, "--rows", str(rows), "--seed", "11", "--out", str(folder)], check=True
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
    folder = args.data / str(args.rows)
    ensure_data(folder, "survey", args.rows)
    ensure_data(folder, "tickets", args.rows)
    results = []
    for job, argvs in jobs(folder / "survey.csv", folder / "tickets.csv"):
        values = {}
        for tool in [t for t in args.tools.split(",") if t in argvs]:
            runs = [measure(argvs[tool]) for _ in range(args.runs)]
            values[tool] = values_of(tool, runs[0][3])
            results.append(
                {
                    "job": job,
                    "tool": tool,
                    "wall_s": statistics.median(r[0] for r in runs),
                    "cpu_s": statistics.median(r[1] for r in runs),
                    "rss_mb": statistics.median(r[2] for r in runs),
                    "groups": len(values[tool]),
                }
            )
        first = next(iter(values.values()))
        if not all(agree(first, other) for other in values.values()):
            raise SystemExit(f"tools disagree on {job}: {values}")
    print(f"\n{args.rows:,} rows, median of {args.runs} runs, {os.cpu_count()} cores\n")
    print(
        f"{'job':<14}{'tool':<8}{'wall s':>8}{'cpu s':>8}{'RSS MB':>8}{'rows/s':>12}"
        f"{'wall/duckdb':>13}{'RSS/duckdb':>12}"
    )
    for r in results:
        ref = next((x for x in results if x["job"] == r["job"] and x["tool"] == "duckdb"), None)
        ratio = f"{r['wall_s'] / ref['wall_s']:.2f}" if ref else "-"
        mem = f"{r['rss_mb'] / ref['rss_mb']:.2f}" if ref else "-"
        print(
            f"{r['job']:<14}{r['tool']:<8}{r['wall_s']:>8.2f}{r['cpu_s']:>8.2f}"
            f"{r['rss_mb']:>8.0f}{args.rows / r['wall_s']:>12,.0f}{ratio:>13}{mem:>12}"
        )
    out = args.data / "results.json"
    out.write_text(json.dumps({"rows": args.rows, "runs": args.runs, "results": results}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
