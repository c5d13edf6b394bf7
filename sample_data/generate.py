"""Generate realistic survey exports: `survey.csv` and `survey.parquet`.

The bundled sample (`make sample`) is 4,000 rows; benchmarks ask for millions:

    python sample_data/generate.py --rows 10000000 --out /tmp/cxbench --no-parquet

Deterministic for a given --seed. Messy on purpose, as real exports are: ~2% unanswered
scores, a few invalid ones (`11`, `ten`, `9.5`, `N/A`), comments with commas, quotes and (in
~3.5% of rows) line breaks inside quoted fields, NPS drifting by region and month.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REGIONS = np.array(["EMEA", "NA", "APAC", "LATAM"])
REGION_WEIGHTS = [0.4, 0.3, 0.2, 0.1]
CHANNELS = np.array(["email", "chat", "phone", "web"])
COMMENTS = np.array(
    [
        "Great support, thanks!",
        'Agent said "we will call back", never did',
        "Slow, but solved",
        "Billing, again.\nSecond time this month",
        "Easy and quick",
        "Had to explain my issue twice,\nthen three times",
        "ok",
    ]
)
BAD_SCORES = np.array(["11", "ten", "9.5", "N/A", "-1"])
CHUNK = 500_000


def survey_chunk(rng: np.random.Generator, start: int, rows: int) -> dict[str, np.ndarray]:
    region = rng.choice(len(REGIONS), size=rows, p=REGION_WEIGHTS)
    seconds = rng.integers(0, 181 * 86400, size=rows)  # 2025-01-01 .. 2025-06-30
    month = (seconds // (30.2 * 86400)).astype(int)
    # Latent satisfaction: regions differ, and EMEA improves month by month.
    base = np.array([8.3, 7.9, 7.3, 8.6])[region] + np.where(region == 0, 0.12 * month, 0.0)
    latent = rng.normal(base, 2.0)
    ltr = np.clip(np.rint(latent), 0, 10).astype(int)
    sat = np.clip(np.rint(1 + (latent + rng.normal(0, 1.2, rows)) / 2.5), 1, 5).astype(int)
    effort = np.clip(np.rint(1 + (latent + rng.normal(0, 1.5, rows)) / 1.7), 1, 7).astype(int)
    stamp = np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    comment_pick = rng.random(rows)
    comment = np.where(comment_pick < 0.35, COMMENTS[rng.integers(0, len(COMMENTS), rows)], "")
    return {
        "Response ID": np.arange(start + 1, start + rows + 1),
        "Submitted At": np.char.add(np.datetime_as_string(stamp, unit="s"), "Z"),
        "Region": REGIONS[region],
        "Channel": CHANNELS[rng.integers(0, len(CHANNELS), rows)],
        "LTR": ltr,
        "Sat": sat,
        "Effort": effort,
        "Comment": comment,
    }


def messy_text(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Scores as text: ~2% empty, ~0.4% invalid."""
    text = values.astype(str).astype(object)
    roll = rng.random(len(values))
    text[roll < 0.02] = ""
    bad = (roll >= 0.02) & (roll < 0.024)
    text[bad] = BAD_SCORES[rng.integers(0, len(BAD_SCORES), int(bad.sum()))]
    return text


def write_csv(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["Response ID", "Submitted At", "Region", "Channel", "LTR", "Sat", "Effort", "Comment"]
        )
        for start in range(0, rows, CHUNK):
            chunk = survey_chunk(rng, start, min(CHUNK, rows - start))
            for name in ("LTR", "Sat", "Effort"):
                chunk[name] = messy_text(rng, chunk[name])
            writer.writerows(zip(*(chunk[name].tolist() for name in chunk), strict=True))


def write_parquet(path: Path, rows: int, seed: int) -> None:
    """Typed columns: LTR int64 (nulls, a few out of range), Sat float64, Effort text."""
    rng = np.random.default_rng(seed + 1)
    writer = None
    for start in range(0, rows, CHUNK):
        chunk = survey_chunk(rng, start, min(CHUNK, rows - start))
        n = len(chunk["LTR"])
        roll = rng.random(n)
        ltr = pa.array(np.where(roll < 0.004, 11, chunk["LTR"]), mask=roll > 0.98)
        sat = pa.array(chunk["Sat"].astype(float), mask=rng.random(n) < 0.02)
        table = pa.table(
            {
                "Response ID": chunk["Response ID"],
                "Submitted At": pa.array(
                    np.char.rstrip(chunk["Submitted At"], "Z").astype("datetime64[s]"),
                    pa.timestamp("s", tz="UTC"),
                ),
                "Region": chunk["Region"],
                "Channel": chunk["Channel"],
                "LTR": ltr,
                "Sat": sat,
                "Effort": messy_text(rng, chunk["Effort"]).astype(str),
                "Comment": chunk["Comment"],
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--no-parquet", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "survey.csv", args.rows, args.seed)
    if not args.no_parquet:
        write_parquet(args.out / "survey.parquet", args.rows, args.seed)


if __name__ == "__main__":
    main()
