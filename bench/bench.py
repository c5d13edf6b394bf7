"""Benchmark cx against DuckDB and polars computing the same numbers on the same files.

    make bench                                # 10M survey rows and 10M tickets, 3 runs each
    python bench/bench.py --rows 1000000 --runs 5 --tools cx,duckdb

Jobs (JOBS): NPS on a clean CSV, on a CSV with messy values, by region and month, and on
Parquet; mean resolution time (ART, ISO timestamps) and mean handle time (AHT, clock text) on
tickets; MAU over twice as many events as JSON Lines; CSAT on an .xlsx sheet (up to 1M rows;
DuckDB reads Excel only through a download). The references are written as their users write
them: on clean data the readers type the columns (DuckDB's `read_csv`, polars' `scan_csv`);
where values are messy (scores like `ten`, clock-text durations) they read text and cast. Data
is generated once (deterministic) into bench_data/ (git-ignored). Every tool runs as its own
process, the tools taking turns run after run (a shared machine drifts between faster and slower
spells); the table gives medians of wall time, CPU time and peak RSS, and the ratios to DuckDB
and polars. The values every tool prints (per group) must agree to 1e-6, or the run fails. Then
cx alone: `cx report` with 5 KPIs over the survey file against the slowest of the 5 run one by
one, peak RSS of each row KPI at --rows against a tenth of it (memory flat), and start-up. Every
target of the performance issue (TARGETS) is printed PASS or MISS.
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
_TEXT = "read_csv('{path}', all_varchar = true, header = true)"
# DuckDB, two ways. Typed: as a DuckDB user writes it on a clean export, the reader sniffing the
# types. Text: every value read as text and cast, so the messy values cx counts as invalid
# (`ten`, `9.5`, `N/A`, clock text) are skipped the same way.
SQL = {
    "nps": f"""select '' as k, {_NPS} from (select LTR as v from read_csv('{{path}}'))
               where v between 0 and 10""",
    "nps_parquet": f"""select '' as k, {_NPS} from (select LTR as v from '{{path}}')
                       where v between 0 and 10""",
    "nps_grouped": f"""select Region || '|' || strftime("Submitted At", '%Y-%m') as k,
        {_NPS} from (select *, LTR as v from read_csv('{{path}}')) where v between 0 and 10
        group by k""",
    "art": """select '' as k, avg(epoch(Closed) - epoch(Opened)) from read_csv('{path}')
              where Closed >= Opened""",
    "mau": """select '' as k, count(distinct uid) from read_json('{path}')
              where ts >= '2025-05-01' and ts < '2025-06-01'""",
    "nps_text": f"""select '' as k, {_NPS} from (select try_cast(trim("LTR") as double) as v
                    from {_TEXT}) where v = floor(v) and v between 0 and 10""",
    "aht": f"""select '' as k, avg(talk + hold + wrap) from (select @Talk@ as talk,
        @Hold@ as hold, @Wrap@ as wrap, "Talk" is null and "Hold" is null and "Wrap" is null
        as empty from {_TEXT}) where not empty and talk >= 0 and hold >= 0 and wrap >= 0""",
}
# Seconds from the generated tickets' durations: `MM:SS` or whole seconds; empty counts as 0.
_SECONDS = """coalesce(case when contains("{c}", ':')
    then cast(split_part("{c}", ':', 1) as double) * 60 + cast(split_part("{c}", ':', 2) as double)
    else try_cast("{c}" as double) end, 0)"""
for _column in ("Talk", "Hold", "Wrap"):
    SQL["aht"] = SQL["aht"].replace(f"@{_column}@", _SECONDS.format(c=_column))
DUCKDB = """
import duckdb, json, sys
duckdb.sql("set enable_progress_bar = false")
duckdb.sql("set TimeZone = 'UTC'")
print(json.dumps(dict(duckdb.sql(sys.argv[2].format(path=sys.argv[1])).fetchall())))
"""
# polars, the same jobs: typed ones as a polars user writes them (`scan_csv` inferring types,
# `try_parse_dates`), text ones reading strings and casting non-strictly.
POLARS = """
import datetime as dt, json, polars as pl, sys
path, job = sys.argv[1], sys.argv[2]
v = pl.col("LTR")
nps = 100 * ((v >= 9).mean() - (v <= 6).mean())
if job == "nps":
    out = pl.scan_csv(path).filter(v.is_between(0, 10)).select(nps).collect().item()
elif job == "nps_parquet":
    out = pl.scan_parquet(path).filter(v.is_between(0, 10)).select(nps).collect().item()
elif job == "nps_grouped":
    month = pl.col("Submitted At").dt.strftime("%Y-%m")
    frame = (pl.scan_csv(path, try_parse_dates=True).filter(v.is_between(0, 10))
             .group_by("Region", month).agg(nps).collect())
    out = {f"{r}|{m}": x for r, m, x in frame.iter_rows()}
elif job == "art":
    s = (pl.col("Closed") - pl.col("Opened")).dt.total_seconds()
    frame = pl.scan_csv(path, try_parse_dates=True).select(s=s).filter(pl.col("s") >= 0)
    out = frame.select(pl.col("s").mean()).collect().item()
elif job == "mau":
    start, end = (dt.datetime(2025, m, 1, tzinfo=dt.timezone.utc) for m in (5, 6))
    ts = pl.col("ts").str.to_datetime(time_zone="UTC")
    frame = pl.scan_ndjson(path).filter(ts.is_between(start, end, closed="left"))
    out = frame.select(pl.col("uid").n_unique()).collect().item()
elif job == "csat_xlsx":
    s = pl.col("Sat")
    frame = pl.read_excel(path, columns=["Sat"]).filter(s.is_between(1, 5))
    out = frame.select(100 * (s >= 4).mean()).item()
elif job == "nps_text":
    text = pl.scan_csv(path, infer_schema=False)
    v = pl.col("LTR").str.strip_chars().cast(pl.Float64, strict=False).alias("LTR")
    ok = (pl.col("LTR") == pl.col("LTR").floor()) & pl.col("LTR").is_between(0, 10)
    out = text.select(v).filter(ok).select(nps).collect().item()
elif job == "aht":
    def seconds(c):
        x, parts = pl.col(c), pl.col(c).str.split(":")
        clock = parts.list.get(0, null_on_oob=True).cast(pl.Float64, strict=False) * 60 + (
            parts.list.get(1, null_on_oob=True).cast(pl.Float64, strict=False))
        return pl.when(x.str.contains(":")).then(clock).otherwise(
            x.cast(pl.Float64, strict=False)).fill_null(0.0)
    empty = pl.col("Talk").is_null() & pl.col("Hold").is_null() & pl.col("Wrap").is_null()
    parts = [seconds(c) for c in ("Talk", "Hold", "Wrap")]
    ok = ~empty & (parts[0] >= 0) & (parts[1] >= 0) & (parts[2] >= 0)
    text = pl.scan_csv(path, infer_schema=False)
    out = text.filter(ok).select((parts[0] + parts[1] + parts[2]).mean()).collect().item()
print(json.dumps(out if isinstance(out, dict) else {"": out}))
"""
XLSX_ROWS = 1_000_000  # an .xlsx sheet holds at most 1,048,576 rows
EVENTS_PER_ROW = 2  # the MAU job reads twice --rows events
TICKETS = ["--created", "Opened", "--resolved", "Closed"]
MAU_WINDOW = ["--user", "uid", "--time", "ts", "--from", "2025-05-01", "--to", "2025-06-01"]
# job: (data file, cx arguments, DuckDB's query, polars' job; None where a tool cannot read it)
JOBS = {
    "nps csv": ("survey-clean.csv", ["nps", "--score", "LTR"], "nps", "nps"),
    "nps messy": ("survey.csv", ["nps", "--score", "LTR"], "nps_text", "nps_text"),
    "nps grouped": (
        "survey-clean.csv",
        ["nps", "--score", "LTR", "--by", "Region", "--period", "month", "--time", "Submitted At"],
        "nps_grouped",
        "nps_grouped",
    ),
    "nps parquet": ("survey.parquet", ["nps", "--score", "LTR"], "nps_parquet", "nps_parquet"),
    "art csv": ("tickets.csv", ["art", *TICKETS], "art", "art"),
    "aht csv": (
        "tickets.csv",
        ["aht", "--talk", "Talk", "--hold", "Hold", "--acw", "Wrap"],
        "aht",
        "aht",
    ),
    "mau ndjson": ("events.jsonl", ["mau", *MAU_WINDOW], "mau", "mau"),
    # DuckDB reads Excel only through its `excel` extension, a download not available here.
    "csat xlsx": ("survey.xlsx", ["csat", "--score", "Sat"], None, "csat_xlsx"),
}
# job: (wall ≤ × DuckDB, wall ≤ × polars, peak RSS ≤ MB; for the workbook ≤ × the file's size)
TARGETS = {
    "nps csv": (1.0, 1.0, 200),
    "nps messy": (0.6, 1.0, 200),
    "nps grouped": (0.8, 1.0, 200),
    "nps parquet": (1.0, 1.0, 120),
    "art csv": (0.7, 1.0, 250),
    "aht csv": (0.6, 1.0, 250),
    "mau ndjson": (1.0, 1.0, 400),
    "csat xlsx": (None, 1.0, "2× the file"),
}


def job_commands(folder: Path, job: str) -> tuple[Path, dict[str, list[str]]]:
    """The job's data file and the command per tool; every command prints {group key: value}."""
    name, cx_args, sql, polars = JOBS[job]
    path = folder / name
    commands = {"cx": [CX, cx_args[0], str(path), *cx_args[1:], "-q", "-f", "json"]}
    if sql:
        commands["duckdb"] = [PYTHON, "-c", DUCKDB, str(path), SQL[sql]]
    commands["polars"] = [PYTHON, "-c", POLARS, str(path), polars]
    return path, commands


def rows_of(job: str, rows: int) -> int:
    """Rows (events for MAU) the job's file holds."""
    if job == "mau ndjson":
        return EVENTS_PER_ROW * rows
    return min(rows, XLSX_ROWS) if "xlsx" in job else rows


WRITE_XLSX = """
import polars as pl, sys
survey, xlsx, rows = sys.argv[1:]
pl.read_csv(survey, n_rows=int(rows)).write_excel(xlsx, autofit=False)
"""


def ensure_formats(folder: Path, rows: int) -> None:
    """The clean survey (scores a type sniffer reads as integers), 2 × rows events as JSON
    Lines (ids as JSON numbers, as product-analytics exports write them) and the clean survey's
    first rows as an .xlsx sheet (number cells); each made once, in a process of its own (a
    child forked from a large parent would inherit its peak RSS)."""
    generate = [PYTHON, str(ROOT / "sample_data" / "generate.py"), "--seed", "11"]
    clean = folder / "survey-clean.csv"
    if not clean.exists():
        print(f"writing {clean.name} …", file=sys.stderr)
        run = [*generate, "--kind", "survey", "--clean", "--rows", str(rows), "--out", str(folder)]
        subprocess.run(run, check=True)
    events = folder / "events.jsonl"
    if not events.exists():
        print(f"writing {events.name} …", file=sys.stderr)
        run = [*generate, "--kind", "events", "--jsonl", "--rows", str(EVENTS_PER_ROW * rows)]
        subprocess.run([*run, "--out", str(folder)], check=True)
    xlsx = folder / "survey.xlsx"
    if not xlsx.exists():
        print(f"writing {xlsx.name} …", file=sys.stderr)
        write = [PYTHON, "-c", WRITE_XLSX, str(clean), str(xlsx), str(min(rows, XLSX_ROWS))]
        subprocess.run(write, check=True)


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
        raise SystemExit(f"{argv[0]} … {argv[-2:]} failed:\n{err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.decode()


def ensure_data(folder: Path, kind: str, rows: int) -> Path:
    """Generated once per kind and size (deterministic), then reused."""
    marker = folder / f".{kind}-{rows}"
    if not marker.exists() or not (folder / f"{kind}.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {rows:,} {kind} rows in {folder} …", file=sys.stderr)
        generate = [PYTHON, str(ROOT / "sample_data" / "generate.py"), "--kind", kind]
        subprocess.run(
            [*generate, "--rows", str(rows), "--seed", "11", "--out", str(folder)], check=True
        )
        marker.touch()
    return folder


REPORT = """
[inputs]
surveys = "{survey}"

[[kpi]]
kpi = "nps"
input = "surveys"
score = "LTR"

[[kpi]]
kpi = "csat"
input = "surveys"
score = "Sat"

[[kpi]]
kpi = "ces"
input = "surveys"
score = "Effort"

[[kpi]]
kpi = "nps"
key = "nps_grouped"
input = "surveys"
score = "LTR"
by = ["Region"]
period = "month"
time = "Submitted At"

[[kpi]]
kpi = "ces"
key = "ces_by_channel"
input = "surveys"
score = "Effort"
by = ["Channel"]
"""
REPORT_SINGLES = [
    ["nps", "--score", "LTR"],
    ["csat", "--score", "Sat"],
    ["ces", "--score", "Effort"],
    ["nps", "--score", "LTR", "--by", "Region", "--period", "month", "--time", "Submitted At"],
    ["ces", "--score", "Effort", "--by", "Channel"],
]
ROW_KPIS = {  # KPIs whose state does not grow with rows: peak RSS must stay flat
    "nps": ("survey", ["--score", "LTR"]),
    "csat": ("survey", ["--score", "Sat"]),
    "ces": ("survey", ["--score", "Effort"]),
    "fcr": (
        "tickets",
        ["--contacts", "Touches", "--reopened", "Reopened", "--resolved-at", "Closed"],
    ),
    "aht": ("tickets", ["--talk", "Talk", "--hold", "Hold", "--acw", "Wrap"]),
    "art": ("tickets", TICKETS),
}


def interleaved(argvs: dict[str, list[str]], runs: int) -> dict[str, list[tuple]]:
    """Every command `runs` times, taking turns, so that a shared machine's drift between
    slower and faster spells weighs on all of them alike; `measure` results per name."""
    timed: dict[str, list[tuple]] = {name: [] for name in argvs}
    for _ in range(runs):
        for name, argv in argvs.items():
            timed[name].append(measure(argv))
    return timed


def median_run(argv: list[str], runs: int) -> tuple[float, float, str]:
    """(median wall s, median peak RSS MB, stdout of the first run)."""
    return medians(interleaved({"": argv}, runs)[""])


def medians(results: list[tuple]) -> tuple[float, float, str]:
    return (
        statistics.median(r[0] for r in results),
        statistics.median(r[2] for r in results),
        results[0][3],
    )


def report_job(folder: Path, runs: int) -> dict:
    """`cx report` with 5 KPIs over one input against the 5 KPIs run one by one."""
    survey = folder / "survey.csv"
    config = folder / "bench-report.toml"
    config.write_text(REPORT.format(survey=survey))
    out_dir = folder / "bench-report"
    commands = {
        str(i): [CX, argv[0], str(survey), *argv[1:], "-q", "-f", "json"]
        for i, argv in enumerate(REPORT_SINGLES)
    }
    commands["report"] = [CX, "report", "-c", str(config), "-o", str(out_dir), "-q", "-f", "json"]
    timed = {name: medians(results) for name, results in interleaved(commands, runs).items()}
    singles = [(timed[str(i)][0], json.loads(timed[str(i)][2])["value"]) for i in range(5)]
    wall, rss, _ = timed["report"]
    data = json.loads((out_dir / "report.json").read_text())
    got = [k["value"] for k in data["kpis"]]
    if not agree(dict(enumerate(got)), dict(enumerate(v for _, v in singles))):
        raise SystemExit(f"cx report disagrees with the single KPIs: {got} vs {singles}")
    return {
        "report_s": wall,
        "report_rss_mb": rss,
        "singles_s": [w for w, _ in singles],
        "slowest_single_s": max(w for w, _ in singles),
        "passes": [i["passes"] for i in data["inputs"]],
    }


def memory_job(big: Path, small: Path) -> list[dict]:
    """Peak RSS of each row KPI on the full files and on files a tenth the size."""
    out = []
    for kpi, (kind, args) in ROW_KPIS.items():
        rss = {}
        for name, folder in (("small", small), ("big", big)):
            _, mb, _ = median_run([CX, kpi, str(folder / f"{kind}.csv"), *args, "-q"], 1)
            rss[name] = mb
        out.append({"kpi": kpi, "small_mb": rss["small"], "big_mb": rss["big"]})
    return out


def startup_job(folder: Path, runs: int) -> dict:
    tiny = folder / "survey.csv"
    return {
        name: median_run(argv, runs)[0]
        for name, argv in (
            ("version", [CX, "--version"]),
            ("help", [CX, "--help"]),
            ("nps_1000_rows", [CX, "nps", str(tiny), "--score", "LTR", "-q"]),
        )
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "bench_data")
    parser.add_argument("--tools", default="cx,duckdb,polars")
    parser.add_argument(
        "--jobs", default=",".join(JOBS), help="comma-separated, of: " + ", ".join(JOBS)
    )
    parser.add_argument("--skip-cx-only", action="store_true", help="only the tool comparison")
    args = parser.parse_args()
    folder = args.data / str(args.rows)
    ensure_data(folder, "survey", args.rows)
    ensure_data(folder, "tickets", args.rows)
    ensure_formats(folder, args.rows)
    results = []
    for job in args.jobs.split(","):
        path, argvs = job_commands(folder, job)
        tools = [t for t in args.tools.split(",") if t in argvs]
        timed = interleaved({tool: argvs[tool] for tool in tools}, args.runs)
        values = {}
        for tool in tools:
            runs = timed[tool]
            values[tool] = values_of(tool, runs[0][3])
            results.append(
                {
                    "job": job,
                    "tool": tool,
                    "wall_s": statistics.median(r[0] for r in runs),
                    "cpu_s": statistics.median(r[1] for r in runs),
                    "rss_mb": statistics.median(r[2] for r in runs),
                    "groups": len(values[tool]),
                    "rows": rows_of(job, args.rows),
                    "file_mb": path.stat().st_size / 2**20,
                }
            )
        first = next(iter(values.values()))
        if not all(agree(first, other) for other in values.values()):
            raise SystemExit(f"tools disagree on {job}: {values}")
    print(f"\n{args.rows:,} rows, median of {args.runs} runs, {os.cpu_count()} cores\n")
    print(
        f"{'job':<13}{'tool':<8}{'wall s':>8}{'cpu s':>8}{'RSS MB':>8}{'rows/s':>12}"
        f"{'/ DuckDB':>10}{'/ polars':>10}"
    )
    for r in results:
        ratios = ""
        for ref in ("duckdb", "polars"):
            other = find(results, r["job"], ref)
            ratios += f"{r['wall_s'] / other['wall_s']:>10.2f}" if other else f"{'-':>10}"
        print(
            f"{r['job']:<13}{r['tool']:<8}{r['wall_s']:>8.2f}{r['cpu_s']:>8.2f}"
            f"{r['rss_mb']:>8.0f}{r['rows'] / r['wall_s']:>12,.0f}{ratios}"
        )
    summary: dict = {"rows": args.rows, "runs": args.runs, "results": results}
    if not args.skip_cx_only:
        small = args.data / str(max(1000, args.rows // 10))
        ensure_data(small, "survey", max(1000, args.rows // 10))
        ensure_data(small, "tickets", max(1000, args.rows // 10))
        tiny = ensure_data(args.data / "1000", "survey", 1000)
        summary["report"] = report_job(folder, args.runs)
        summary["memory"] = memory_job(folder, small)
        summary["startup"] = startup_job(tiny, max(5, args.runs))
        print_cx_only(summary)
    print_targets(summary)
    out = args.data / "results.json"
    out.write_text(json.dumps(summary, indent=2))
    print(f"\nwrote {out}")


def find(results: list[dict], job: str, tool: str) -> dict | None:
    return next((r for r in results if r["job"] == job and r["tool"] == tool), None)


def print_cx_only(summary: dict) -> None:
    rep = summary["report"]
    singles = " ".join(f"{w:.2f}" for w in rep["singles_s"])
    print(
        f"\ncx report, 5 KPIs over one input: {rep['report_s']:.2f} s, "
        f"{rep['report_rss_mb']:.0f} MB (inputs read {rep['passes']}×); the 5 alone: {singles} s "
        f"(sum {sum(rep['singles_s']):.2f} s); report / slowest = "
        f"{rep['report_s'] / rep['slowest_single_s']:.2f}"
    )
    print("\npeak RSS MB, a tenth of the rows → all of them:")
    for m in summary["memory"]:
        print(
            f"  {m['kpi']:<6}{m['small_mb']:>6.0f} → {m['big_mb']:>4.0f}  "
            f"({m['big_mb'] / m['small_mb']:.2f}×)"
        )
    st = summary["startup"]
    print(
        f"\nstart-up (median): --version {st['version']:.3f} s, --help {st['help']:.3f} s, "
        f"nps on 1,000 rows {st['nps_1000_rows']:.3f} s"
    )


def print_targets(summary: dict) -> None:
    """PASS / MISS for each target of the performance issue that this run measured."""
    res = summary["results"]
    lines = []
    for job, (duckdb, polars, memory) in TARGETS.items():
        mine = find(res, job, "cx")
        if not mine:
            continue
        for tool, factor in (("duckdb", duckdb), ("polars", polars)):
            ref = find(res, job, tool)
            if factor and ref:
                ratio = mine["wall_s"] / ref["wall_s"]
                lines.append((ratio <= factor, f"{job}: {ratio:.2f} × {tool} ≤ {factor}"))
        limit = 2 * mine["file_mb"] if isinstance(memory, str) else memory
        lines.append((mine["rss_mb"] <= limit, f"{job}: {mine['rss_mb']:.0f} MB ≤ {limit:.0f}"))
    if "memory" in summary:
        for m in summary["memory"]:
            ratio = m["big_mb"] / m["small_mb"]
            lines.append((ratio <= 1.2, f"memory flat, {m['kpi']}: {ratio:.2f}× ≤ 1.2×"))
        st = summary["startup"]
        lines += [
            (st["version"] <= 0.15, f"cx --version {st['version']:.3f} ≤ 0.15 s"),
            (st["help"] <= 0.3, f"cx --help {st['help']:.3f} ≤ 0.3 s"),
            (st["nps_1000_rows"] <= 0.3, f"cx nps, 1,000 rows {st['nps_1000_rows']:.3f} ≤ 0.3 s"),
        ]
        rep = summary["report"]
        ratio = rep["report_s"] / rep["slowest_single_s"]
        lines.append((ratio <= 1.3, f"cx report, 5 KPIs: {ratio:.2f} × the slowest single ≤ 1.3"))
        mb = rep["report_rss_mb"]
        lines.append((mb <= 250, f"cx report, 5 KPIs: {mb:.0f} MB ≤ 250"))
    print("\ntargets:")
    for ok, text in lines:
        print(f"  {verdict(ok)}  {text}")
    summary["targets"] = [{"pass": ok, "target": text} for ok, text in lines]


if __name__ == "__main__":
    main()
