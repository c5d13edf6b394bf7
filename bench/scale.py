"""Memory stays flat as input grows: stream generated survey rows into `cx nps -` (no file on
disk, as a 50 GB export would be) and compare peak RSS across sizes; then --by with a million
distinct segments; then the Python API on a pandas DataFrame in memory, whose peak should stay
near the frame's own size (read a slice at a time), not a multiple of it.

    make scale                      # 1M, 4M, 16M rows; a 10M-row DataFrame
    python bench/scale.py --sizes 1000000,50000000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

CX = str(Path(sys.executable).parent / "cx")
CHUNK = 200_000


def feed(stdin, rows: int, segments: int) -> None:
    """Write `rows` CSV rows: a score and, when asked, one of `segments` segment ids."""
    import numpy as np

    rng = np.random.default_rng(5)
    stdin.write(b"segment,nps_score\n" if segments else b"nps_score\n")
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        scores = rng.integers(0, 11, n).astype(str)
        if segments:
            ids = np.char.add("s", (rng.permutation(n) + start) % segments).astype(str)
            lines = np.char.add(np.char.add(ids, ","), scores)
        else:
            lines = scores
        stdin.write(("\n".join(lines.tolist()) + "\n").encode())
    stdin.close()


def run(rows: int, segments: int = 0) -> tuple[float, float]:
    args = [CX, "nps", "-", "-q", "-f", "json", "-o", os.devnull]
    if segments:
        args += ["--by", "segment"]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdin=subprocess.PIPE)
    feed(proc.stdin, rows, segments)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"cx failed on {rows:,} rows")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


FRAME = """
import os, resource, sys
import numpy as np, pandas as pd
import cxcli as cx

def rss():  # MB now
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

rows = int(sys.argv[1])
rng = np.random.default_rng(5)
frame = pd.DataFrame({
    "Region": pd.Categorical.from_codes(rng.integers(0, 4, rows), ["APAC", "EMEA", "LATAM", "NA"]),
    "LTR": rng.integers(0, 11, rows),
})
frame_mb = frame.memory_usage(deep=True).sum() / 2**20
before = rss()
result = cx.nps(frame, by="Region")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(rows, round(frame_mb), round(before), round(peak), result.n)
"""


def frame_run(rows: int) -> tuple[float, float, float]:
    """cx.nps on a pandas DataFrame of `rows`: the frame's MB, RSS with it built, peak RSS."""
    out = subprocess.run([sys.executable, "-c", FRAME, str(rows)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"cx.nps on a DataFrame failed: {out.stderr[-500:]}")
    _, frame_mb, before, peak, n = map(int, out.stdout.split())
    assert n == rows
    return frame_mb, before, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,4000000,16000000")
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--frame-rows", type=int, default=10_000_000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = [(rows, *run(rows)) for rows in sizes]
    print(f"{'rows':>12} {'wall s':>8} {'peak RSS MB':>12}")
    for rows, wall, rss in results:
        print(f"{rows:>12,} {wall:>8.1f} {rss:>12.0f}")
    ratio = results[-1][2] / results[0][2]
    print(f"peak RSS at {sizes[-1]:,} rows / at {sizes[0]:,} rows: {ratio:.2f} (target ≤ 1.2)")
    if args.segments:
        rows = 2 * args.segments
        wall, rss = run(rows, args.segments)
        print(
            f"--by with {args.segments:,} segments over {rows:,} rows: {wall:.1f} s, {rss:.0f} MB"
        )
    frame_rows = args.frame_rows
    frame_mb, before, peak = frame_run(frame_rows)
    print(
        f"cx.nps on a {frame_rows:,}-row pandas DataFrame ({frame_mb:.0f} MB): RSS {before:.0f} MB"
        f" with the frame built, peak {peak:.0f} MB (+{peak - before:.0f} MB while reading it)"
    )
    sys.exit(0 if ratio <= 1.2 else 1)


if __name__ == "__main__":
    main()
