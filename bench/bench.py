"""Benchmark cx against DuckDB, polars and pandas computing the same numbers on the same files.

    make bench                                # 10M survey rows and 10M tickets, 3 runs each
    python bench/bench.py --rows 1000000 --runs 5 --tools cx,duckdb

Jobs: NPS on CSV and Parquet, NPS by region and month, mean handle time (AHT, clock text) and
mean resolution time (ART); then reading other formats: NPS over the survey as JSON Lines
(up to 2M rows; DuckDB's read_json, polars' scan_ndjson) and as an .xlsx workbook (up to 200k
rows; polars' read_excel, whose calamine reader cx shares; DuckDB's excel extension is a
download, not available here). Data is generated once (deterministic) into bench_data/
(git-ignored). Every tool runs as its own process, the tools taking turns run after run (a shared
machine drifts between faster and slower spells); the table gives medians of wall time, CPU
time and peak RSS, and the ratio to DuckDB. The values every tool prints (per group) must agree
to 1e-6, or the run fails. Then cx alone: `cx report` with 5 KPIs over the survey file against
the slowest of the 5 run one by one, peak RSS of each row KPI at --rows against a tenth of it
(memory flat), and start-up. Every target of the performance issue is printed PASS or MISS.
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
    "aht": f"""select '' as k, avg(talk + hold + wrap) from (select @Talk@ as talk,
        @Hold@ as hold, @Wrap@ as wrap, "Talk" is null and "Hold" is null and "Wrap" is null
        as empty from {_CSV}) where not empty and talk >= 0 and hold >= 0 and wrap >= 0""",
    "art": f"""select '' as k, avg(s) from (
        select epoch(cast("Closed" as timestamptz)) - epoch(cast("Opened" as timestamptz)) as s
        from {_CSV} where "Closed" <> '') where s >= 0""",
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
print(json.dumps(dict(duckdb.sql(sys.argv[2].format(path=sys.argv[1])).fetchall())))
"""
POLARS = """
import json, polars as pl, sys
path, job = sys.argv[1], sys.argv[2]
scan = pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(path, infer_schema=False)
if job == "aht":
    def seconds(c):
        x, parts = pl.col(c), pl.col(c).str.split(":")
        clock = parts.list.get(0, null_on_oob=True).cast(pl.Float64, strict=False) * 60 + (
            parts.list.get(1, null_on_oob=True).cast(pl.Float64, strict=False))
        return pl.when(x.str.contains(":")).then(clock).otherwise(
            x.cast(pl.Float64, strict=False)).fill_null(0.0)
    empty = pl.col("Talk").is_null() & pl.col("Hold").is_null() & pl.col("Wrap").is_null()
    parts = [seconds(c) for c in ("Talk", "Hold", "Wrap")]
    ok = ~empty & (parts[0] >= 0) & (parts[1] >= 0) & (parts[2] >= 0)
    out = scan.filter(ok).select((parts[0] + parts[1] + parts[2]).mean()).collect()
    print(json.dumps({"": out.item()}))
    raise SystemExit
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
NDJSON_SQL = f"""select '' as k, {_NPS} from (select try_cast("LTR" as double) as v
    from read_json('{{path}}', format = 'newline_delimited'))
    where v = floor(v) and v between 0 and 10"""
FORMATS = """
import json, polars as pl, sys
path = sys.argv[1]
if path.endswith(".xlsx"):
    frame = pl.read_excel(path, engine="calamine", columns=["LTR"]).lazy()
else:
    frame = pl.scan_ndjson(path)
v = pl.col("LTR").cast(pl.Float64, strict=False).alias("v")
count = lambda m: m.sum().cast(pl.Int64)
nps = (100 * (count(pl.col("v") >= 9) - count(pl.col("v") <= 6)) / pl.len()).alias("nps")
ok = (pl.col("v") == pl.col("v").floor()) & pl.col("v").is_between(0, 10)
print(json.dumps({"": frame.select(v).filter(ok).select(nps).collect().item()}))
"""
NDJSON_ROWS, XLSX_ROWS = 2_000_000, 200_000
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
            "aht csv",
            {
                "cx": cx("aht", str(tickets), "--talk", "Talk", "--hold", "Hold", "--acw", "Wrap"),
                **refs(tickets, "aht", "aht", pandas=False),
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


def format_jobs(folder: Path, survey: Path, rows: int) -> list[tuple[str, dict, int]]:
    """NPS over the survey as JSON Lines and as a workbook: (job, command per tool, rows)."""
    jsonl, xlsx = ensure_formats(folder, survey, min(rows, NDJSON_ROWS), min(rows, XLSX_ROWS))
    cx = [CX, "nps", "--score", "LTR", "-q", "-f", "json"]
    return [
        (
            "nps ndjson",
            {
                "cx": [*cx, str(jsonl[0])],
                "duckdb": [PYTHON, "-c", DUCKDB, str(jsonl[0]), NDJSON_SQL],
                "polars": [PYTHON, "-c", FORMATS, str(jsonl[0])],
            },
            jsonl[1],
        ),
        (
            "nps xlsx",
            {"cx": [*cx, str(xlsx[0])], "polars": [PYTHON, "-c", FORMATS, str(xlsx[0])]},
            xlsx[1],
        ),
    ]


WRITE_FORMATS = """
import polars as pl, sys
survey, jsonl, json_rows, xlsx, xlsx_rows = sys.argv[1:]
frame = pl.read_csv(survey, infer_schema=False, n_rows=max(int(json_rows), int(xlsx_rows)))
frame = frame.with_columns(pl.col("LTR").str.strip_chars().cast(pl.Int64, strict=False))
frame.head(int(json_rows)).write_ndjson(jsonl)
frame.head(int(xlsx_rows)).write_excel(xlsx, autofit=False)
"""


def ensure_formats(folder: Path, survey: Path, json_rows: int, xlsx_rows: int):
    """The first rows of the survey as JSON Lines (scores as JSON numbers, as event and survey
    APIs write them) and as an .xlsx sheet (scores as number cells); made once, in a process
    of its own (a child forked from a large parent would inherit its peak RSS)."""
    jsonl = folder / f"survey-{json_rows}.jsonl"
    xlsx = folder / f"survey-{xlsx_rows}.xlsx"
    if not jsonl.exists() or not xlsx.exists():
        print(f"writing {jsonl.name} and {xlsx.name} …", file=sys.stderr)
        args = [str(survey), str(jsonl), str(json_rows), str(xlsx), str(xlsx_rows)]
        subprocess.run([PYTHON, "-c", WRITE_FORMATS, *args], check=True)
    return (jsonl, json_rows), (xlsx, xlsx_rows)


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
    parser.add_argument("--tools", default="cx,duckdb,polars,pandas")
    parser.add_argument("--skip-cx-only", action="store_true", help="only the tool comparison")
    args = parser.parse_args()
    folder = args.data / str(args.rows)
    ensure_data(folder, "survey", args.rows)
    ensure_data(folder, "tickets", args.rows)
    results = []
    table = [
        (job, argvs, args.rows)
        for job, argvs in jobs(folder / "survey.csv", folder / "tickets.csv")
    ]
    table += format_jobs(folder, folder / "survey.csv", args.rows)
    for job, argvs, rows in table:
        values = {}
        tools = [t for t in args.tools.split(",") if t in argvs]
        timed = interleaved({tool: argvs[tool] for tool in tools}, args.runs)
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
                    "rows": rows,
                }
            )
        first = next(iter(values.values()))
        if not all(agree(first, other) for other in values.values()):
            raise SystemExit(f"tools disagree on {job}: {values}")
    print(f"\n{args.rows:,} rows, median of {args.runs} runs, {os.cpu_count()} cores\n")
    print(
        f"{'job':<14}{'tool':<8}{'wall s':>8}{'cpu s':>8}{'RSS MB':>8}{'rows/s':>12}"
        f"{'wall/ref':>13}{'RSS/ref':>12}   (ref: DuckDB, or polars where DuckDB cannot read it)"
    )
    for r in results:
        ref = next((x for x in results if x["job"] == r["job"] and x["tool"] == "duckdb"), None)
        ref = ref or next(x for x in results if x["job"] == r["job"] and x["tool"] == "polars")
        ratio = f"{r['wall_s'] / ref['wall_s']:.2f}" if ref else "-"
        mem = f"{r['rss_mb'] / ref['rss_mb']:.2f}" if ref else "-"
        print(
            f"{r['job']:<14}{r['tool']:<8}{r['wall_s']:>8.2f}{r['cpu_s']:>8.2f}"
            f"{r['rss_mb']:>8.0f}{r['rows'] / r['wall_s']:>12,.0f}{ratio:>13}{mem:>12}"
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

    def get(job: str, tool: str) -> dict | None:
        return next((r for r in res if r["job"] == job and r["tool"] == tool), None)

    lines = []
    cx, polars = get("nps csv", "cx"), get("nps csv", "polars")
    if cx and polars:
        lines.append(
            (
                cx["wall_s"] <= polars["wall_s"] and cx["rss_mb"] <= 200,
                f"nps csv: wall {cx['wall_s']:.2f} ≤ polars {polars['wall_s']:.2f} s and RSS "
                f"{cx['rss_mb']:.0f} ≤ 200 MB",
            )
        )
    for job, factor in (
        ("nps grouped", 0.7),
        ("aht csv", 0.7),
        ("art csv", 0.7),
        ("nps parquet", 1.0),
    ):
        mine, ref = get(job, "cx"), get(job, "duckdb")
        if mine and ref:
            lines.append(
                (
                    mine["wall_s"] <= factor * ref["wall_s"],
                    f"{job}: wall {mine['wall_s']:.2f} ≤ {factor} × DuckDB {ref['wall_s']:.2f} s "
                    f"(ratio {mine['wall_s'] / ref['wall_s']:.2f})",
                )
            )
    if "memory" in summary:
        for m in summary["memory"]:
            ratio = m["big_mb"] / m["small_mb"]
            lines.append((ratio <= 1.2, f"memory flat, {m['kpi']}: {ratio:.2f}× ≤ 1.2×"))
        st = summary["startup"]
        lines += [
            (st["version"] <= 0.15, f"cx --version {st['version']:.3f} ≤ 0.15 s"),
            (st["help"] <= 0.3, f"cx --help {st['help']:.3f} ≤ 0.3 s"),
            (st["nps_1000_rows"] <= 0.45, f"cx nps, 1,000 rows {st['nps_1000_rows']:.3f} ≤ 0.45 s"),
        ]
        rep = summary["report"]
        ratio = rep["report_s"] / rep["slowest_single_s"]
        lines.append((ratio <= 1.3, f"cx report, 5 KPIs: {ratio:.2f} × the slowest single ≤ 1.3"))
    print("\ntargets:")
    for ok, text in lines:
        print(f"  {verdict(ok)}  {text}")
    summary["targets"] = [{"pass": ok, "target": text} for ok, text in lines]


if __name__ == "__main__":
    main()
