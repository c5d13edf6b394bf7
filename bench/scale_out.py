"""Scale-out benchmark: `cx mau` over a partitioned Parquet dataset, exact and --approx, with
the local engine, a process pool (--jobs) and Dask (a LocalCluster the run starts), each run
as its own process, taking turns run after run; medians of wall time, and the peak memory
of the client and of the largest worker (sampled every 0.1 s with psutil). Every mode must
give the same numbers (the exact ones to the last digit, the sketches' within 0.1%).

    make bench-scale                           # 50M events in 50 files, 1M users, 3 runs
    python bench/scale_out.py --events 2000000 --files 8 --runs 1

The data (bench_data/events-<N>/month=MM/part-K.parquet, zstd, typed timestamps) is made once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
CX = str(Path(sys.executable).parent / "cx")


def generate(folder: Path, events: int, files: int, users: int, seed: int = 11) -> Path:
    """`files` files spread over the 12 months of 2025 (hive month=MM folders): each file a
    month's events of users drawn with a heavy tail (some users are far more active)."""
    done = folder / ".complete"
    if done.exists():
        return folder
    rng = np.random.default_rng(seed)
    per_file = events // files
    for k in range(files):
        month = k * 12 // files + 1
        first = np.datetime64(f"2025-{month:02d}-01", "us").astype(np.int64)
        last = np.datetime64(f"2025-{month + 1:02d}-01" if month < 12 else "2026-01-01", "us")
        span = last.astype(np.int64) - first
        ids = np.minimum((rng.pareto(1.2, per_file) * users / 20).astype(np.int64), users - 1)
        uid = pc.binary_join_element_wise("u", pc.cast(pa.array(ids), pa.string()), "")
        ts = np.sort(first + rng.integers(0, span, per_file))
        table = pa.table(
            {
                "uid": uid,
                "ts": pa.array(ts, pa.timestamp("us", "UTC")),
                "platform": pa.array(
                    np.array(["ios", "android", "web"])[rng.integers(0, 3, per_file)]
                ),
            }
        )
        path = folder / f"month={month:02d}" / f"part-{k:03d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd", row_group_size=256_000)
    done.write_text("")
    return folder


def measured(args: list[str]) -> tuple[float, float, float, dict]:
    """Wall seconds, the client's and the largest worker's peak RSS (MB), and the JSON."""
    import psutil

    began = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client_peak, worker_peak = [0], [0]
    stop = threading.Event()

    def sample() -> None:
        me = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                client_peak[0] = max(client_peak[0], me.memory_info().rss)
                for child in me.children(recursive=True):
                    worker_peak[0] = max(worker_peak[0], child.memory_info().rss)
            except psutil.Error:
                pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - began
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)}: exit {proc.returncode}: {err[-500:]}")
    return wall, client_peak[0] / 2**20, worker_peak[0] / 2**20, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write the medians here")
    opts = parser.parse_args()
    folder = generate(
        ROOT / "bench_data" / f"events-{opts.events}", opts.events, opts.files, opts.users
    )
    base = [CX, "mau", str(folder), "--user", "uid", "--time", "ts", "-q", "-f", "json"]
    base += ["--from", "2025-01-01", "--to", "2026-01-01", "--period", "month"]
    workers = str(opts.workers)
    modes = {
        "local": [],
        f"--jobs {workers}": ["--jobs", workers],
        f"--engine dask ({workers} workers)": ["--engine", "dask", "--jobs", workers],
    }
    rows = []
    for approx in (False, True):
        extra = ["--approx"] if approx else []
        times: dict[str, list[tuple[float, float, float]]] = {m: [] for m in modes}
        values: dict[str, dict] = {}
        for _ in range(opts.runs):
            for mode, flags in modes.items():
                wall, client, worker, report = measured([*base, *extra, *flags])
                times[mode].append((wall, client, worker))
                values[mode] = report
        reference = values["local"]
        for mode, report in values.items():
            if approx:
                ok = abs(report["value"] - reference["value"]) <= 1e-3 * reference["value"]
            else:
                ok = (
                    report["value"] == reference["value"]
                    and report["groups"] == reference["groups"]
                )
            if not ok:
                raise SystemExit(
                    f"{mode}: {report['value']} differs from local {reference['value']}"
                )
        local = statistics.median(t[0] for t in times["local"])
        for mode, runs in times.items():
            wall = statistics.median(t[0] for t in runs)
            rows.append(
                {
                    "job": "mau --approx" if approx else "mau exact",
                    "mode": mode,
                    "seconds": round(wall, 2),
                    "vs_local": round(wall / local, 2),
                    "client_mb": round(statistics.median(t[1] for t in runs)),
                    "worker_mb": round(statistics.median(t[2] for t in runs)),
                    "value": values[mode]["value"],
                }
            )
    print(
        f"cx mau over {opts.events:,} events in {opts.files} files, {opts.users:,} users; "
        f"median of {opts.runs}"
    )
    print("| job | mode | seconds | vs local | client peak MB | largest worker MB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        worker = r["worker_mb"] if r["worker_mb"] else "—"
        print(
            f"| {r['job']} | {r['mode']} | {r['seconds']:.2f} | {r['vs_local']:.2f}× | "
            f"{r['client_mb']} | {worker} |"
        )
    if opts.json:
        Path(opts.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
