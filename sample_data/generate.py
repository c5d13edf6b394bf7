"""Generate realistic exports: survey responses (`survey.csv`, `survey.parquet`), support
tickets (`tickets.csv`, `tickets.parquet`), and a customer roster with its orders and the
marketing spend that acquired it (`customers.csv`, `orders.csv`, `spend.csv`).

The bundled samples (`make sample`) are a few thousand rows; benchmarks ask for millions:

    python sample_data/generate.py --kind survey --rows 10000000 --out /tmp/cxbench

Deterministic for a given --seed. Messy on purpose, as real exports are. Surveys: ~2%
unanswered scores, a few invalid ones (`11`, `ten`, `9.5`, `N/A`), comments with commas, quotes
and line breaks inside quoted fields, NPS drifting by region and month. Tickets: ~7% still open
(no Closed time), handle times as `MM:SS` text or seconds, yes/no/Y/TRUE flags, a few tickets
closed before they were opened, touch counts that are empty or `n/a`. Customers: two repeated
ids, a cancellation before its signup, an unknown signup date, a `partner` channel with signups
but no spend and a `tv` channel with spend but no tracked signups. Events: a few heavy users
and many occasional ones. Loyalty: earn and redeem entries in mixed case, some redemptions as
negative points, and a few `adjust` entries that are neither.
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
# Comments by the answer's NPS category (a few disagree: a detractor's "ok", a promoter's
# gripe), with the commas, quotes and line breaks real exports hold. Seven each: the draw of
# the phrase is the same as when there was one list, so the other columns do not change.
COMMENTS = np.array(
    [
        [  # detractors (0-6)
            'Agent said "we will call back", never did',
            "Billing, again.\nSecond time this month",
            "Had to explain my issue twice,\nthen three times",
            "Terrible wait on hold, nobody answered",
            "The refund still has not arrived, very frustrating",
            "ok",
            "Slow, but solved",
        ],
        [  # passives (7-8)
            "Slow, but solved",
            "ok",
            "Fine, nothing special",
            "Easy and quick",
            "Helpful agent, but the app keeps crashing",
            "Billing, again.\nSecond time this month",
            "Delivery took a week",
        ],
        [  # promoters (9-10)
            "Great support, thanks!",
            "Easy and quick",
            "Love the new app, so easy to use",
            "The agent was friendly and solved it in minutes",
            "ok",
            "Great product, but delivery was late and the box was damaged",
            "Excellent service as always",
        ],
    ]
)
SURVEY_COLUMNS = [
    *("Response ID", "Submitted At", "Region", "Channel", "LTR", "Sat", "Effort"),
    *("Price", "Support", "Delivery", "Comment"),
]
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
    category = np.where(ltr <= 6, 0, np.where(ltr <= 8, 1, 2))
    phrase = COMMENTS[category, rng.integers(0, COMMENTS.shape[1], rows)]
    comment = np.where(comment_pick < 0.35, phrase, "")
    price, support, delivery = attribute_ratings(latent, base, start)
    return {
        "Response ID": np.arange(start + 1, start + rows + 1),
        "Submitted At": np.char.add(np.datetime_as_string(stamp, unit="s"), "Z"),
        "Region": REGIONS[region],
        "Channel": CHANNELS[rng.integers(0, len(CHANNELS), rows)],
        "LTR": ltr,
        "Sat": sat,
        "Effort": effort,
        "Price": price,
        "Support": support,
        "Delivery": delivery,
        "Comment": comment,
    }


def attribute_ratings(latent: np.ndarray, base: np.ndarray, start: int) -> list[np.ndarray]:
    """Price, Support and Delivery ratings (1-5) that explain the answer's satisfaction to
    different degrees (support most, delivery least), with a rating of how much the product
    is worth that tracks support only through it. Their own generator: the other columns do
    not change. 0 is a skipped question (written empty)."""
    rng = np.random.default_rng([start, 20])
    z = (latent - base) / 2.0
    shared = rng.normal(0, 1, len(z))  # a part of price and support answers have in common
    ratings = []
    for loading, noise in ((0.45, 0.8), (0.75, 0.5), (0.3, 0.9)):
        raw = loading * z + 0.35 * shared + noise * rng.normal(0, 1, len(z))
        rating = np.clip(np.rint(3.4 + 1.1 * raw), 1, 5).astype(int)
        ratings.append(np.where(rng.random(len(z)) < 0.06, 0, rating))
    return ratings


def messy_text(rng: np.random.Generator, values: np.ndarray, clean: bool = False) -> np.ndarray:
    """Scores as text: ~2% empty, ~0.4% invalid (none when `clean`: an export whose columns a
    type sniffer reads as integers)."""
    text = values.astype(str).astype(object)
    roll = rng.random(len(values))
    text[roll < 0.02] = ""
    bad = (roll >= 0.02) & (roll < 0.024)
    if not clean:
        text[bad] = BAD_SCORES[rng.integers(0, len(BAD_SCORES), int(bad.sum()))]
    return text


def write_csv(path: Path, rows: int, seed: int, clean: bool = False) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(SURVEY_COLUMNS)
        for start in range(0, rows, CHUNK):
            chunk = survey_chunk(rng, start, min(CHUNK, rows - start))
            for name in ("LTR", "Sat", "Effort"):
                chunk[name] = messy_text(rng, chunk[name], clean)
            for name in ("Price", "Support", "Delivery"):
                chunk[name] = np.where(chunk[name] == 0, "", chunk[name].astype(str))
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
                **{
                    name: pa.array(chunk[name], mask=chunk[name] == 0)
                    for name in ("Price", "Support", "Delivery")
                },
                "Comment": chunk["Comment"],
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


QUEUES = np.array(["Billing", "Technical", "Account", "Shipping"])
AGENTS = np.array([f"agent-{i:02d}" for i in range(1, 25)])
TICKET_CHANNELS = np.array(["phone", "email", "chat"])
YES = np.array(["Yes", "yes", "Y", "TRUE", "1"])
NO = np.array(["No", "no", "N", "FALSE", "0", ""])
TICKET_COLUMNS = [
    "Ticket ID",
    "Queue",
    "Agent",
    "Channel",
    "Opened",
    "Closed",
    "Touches",
    "Reopened",
    "Talk",
    "Hold",
    "Wrap",
]


def ticket_chunk(rng: np.random.Generator, start: int, rows: int) -> dict[str, np.ndarray]:
    """Tickets with typed values; `ticket_text` turns them into what an export holds."""
    queue = rng.choice(len(QUEUES), size=rows, p=[0.35, 0.3, 0.2, 0.15])
    agent = rng.integers(0, len(AGENTS), rows)
    opened = rng.integers(0, 181 * 86400, size=rows)  # seconds after 2025-01-01
    hours = rng.lognormal(np.array([2.2, 3.0, 1.8, 2.6])[queue], 1.1)  # resolution time
    skill = 0.75 - 0.015 * (agent % 12)  # some agents resolve more on first contact
    touches = np.where(rng.random(rows) < skill, 1, 1 + rng.geometric(0.5, rows))
    reopened = rng.random(rows) < 0.06 + 0.04 * (touches > 1)
    talk = rng.gamma(4.0, 75.0, rows)  # seconds
    hold = np.where(rng.random(rows) < 0.4, rng.gamma(2.0, 30.0, rows), 0.0)
    wrap = rng.gamma(3.0, 20.0, rows)
    return {
        "Ticket ID": np.arange(start + 1, start + rows + 1),
        "Queue": QUEUES[queue],
        "Agent": AGENTS[agent],
        "Channel": TICKET_CHANNELS[rng.integers(0, 3, rows)],
        "opened": opened,
        "closed": opened + np.rint(hours * 3600).astype(np.int64),
        "open": rng.random(rows) < 0.07,
        "Touches": touches,
        "Reopened": reopened,
        "Talk": np.rint(talk),
        "Hold": np.rint(hold),
        "Wrap": np.rint(wrap),
    }


def _stamp(seconds: np.ndarray) -> np.ndarray:
    stamp = np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(stamp, unit="s"), "Z")


def _clock(seconds: np.ndarray) -> np.ndarray:
    whole = seconds.astype(np.int64)
    minutes, rest = np.divmod(whole, 60)
    return np.char.add(
        np.char.add(np.char.zfill(minutes.astype(str), 2), ":"), np.char.zfill(rest.astype(str), 2)
    )


def ticket_text(rng: np.random.Generator, chunk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    rows = len(chunk["Ticket ID"])
    roll = rng.random(rows)
    closed = chunk["closed"].copy()
    closed[roll < 0.002] = chunk["opened"][roll < 0.002] - 3600  # closed before opened
    closed_text = _stamp(closed).astype(object)
    closed_text[chunk["open"]] = ""
    touches = chunk["Touches"].astype(str).astype(object)
    touches[(roll > 0.5) & (roll < 0.51)] = ""
    touches[(roll > 0.6) & (roll < 0.603)] = "n/a"
    reopened = np.where(
        chunk["Reopened"], YES[rng.integers(0, len(YES), rows)], NO[rng.integers(0, len(NO), rows)]
    ).astype(object)
    reopened[(roll > 0.7) & (roll < 0.701)] = "maybe"
    talk = np.where(
        rng.random(rows) < 0.7, _clock(chunk["Talk"]), chunk["Talk"].astype(np.int64).astype(str)
    ).astype(object)
    talk[(roll > 0.8) & (roll < 0.81)] = ""
    hold = np.where(chunk["Hold"] > 0, chunk["Hold"].astype(np.int64).astype(str), "")
    wrap = chunk["Wrap"].astype(np.int64).astype(str).astype(object)
    wrap[(roll > 0.9) & (roll < 0.9005)] = "-30"
    return {
        "Ticket ID": chunk["Ticket ID"],
        "Queue": chunk["Queue"],
        "Agent": chunk["Agent"],
        "Channel": chunk["Channel"],
        "Opened": _stamp(chunk["opened"]),
        "Closed": closed_text,
        "Touches": touches,
        "Reopened": reopened,
        "Talk": talk,
        "Hold": hold,
        "Wrap": wrap,
    }


def write_tickets(out: Path, rows: int, seed: int, parquet: bool) -> None:
    rng = np.random.default_rng(seed + 100)
    writer = None
    with open(out / "tickets.csv", "w", newline="", encoding="utf-8") as fh:
        csv_writer = csv.writer(fh)
        csv_writer.writerow(TICKET_COLUMNS)
        for start in range(0, rows, CHUNK):
            text = ticket_text(rng, ticket_chunk(rng, start, min(CHUNK, rows - start)))
            csv_writer.writerows(zip(*(text[c].tolist() for c in TICKET_COLUMNS), strict=True))
            if parquet:
                table = pa.table({c: pa.array(text[c].tolist()) for c in TICKET_COLUMNS})
                table = table.set_column(
                    4,
                    "Opened",
                    pa.array(
                        np.char.rstrip(text["Opened"], "Z").astype("datetime64[s]"),
                        pa.timestamp("s", tz="UTC"),
                    ),
                )
                if writer is None:
                    writer = pq.ParquetWriter(out / "tickets.parquet", table.schema)
                writer.write_table(table)
    if writer is not None:
        writer.close()


PLANS = np.array(["Basic", "Pro", "Enterprise"])
PLAN_MRR = np.array([29.0, 99.0, 499.0])
SOURCES = np.array(["search", "social", "referral", "email", "partner"])
SPEND_SOURCES = np.array(["search", "social", "email", "tv"])  # tv: spend, no tracked signups
START = np.datetime64("2024-01-01")
DAYS = 547  # 2024-01-01 .. 2025-06-30


def _day(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(START + days.astype("timedelta64[D]"), unit="D")


def write_customers(out: Path, customers: int, seed: int) -> None:
    """customers.csv, orders.csv and spend.csv, consistent with each other."""
    rng = np.random.default_rng(seed + 200)
    signup = np.sort(rng.integers(0, DAYS, customers))
    plan = rng.choice(3, size=customers, p=[0.6, 0.32, 0.08])
    source = rng.choice(len(SOURCES), size=customers, p=[0.35, 0.25, 0.15, 0.15, 0.10])
    tenure = rng.exponential(np.array([240.0, 420.0, 900.0])[plan])
    end = signup + np.ceil(tenure).astype(int)
    cancelled = np.where(end < DAYS, _day(np.minimum(end, DAYS - 1)), "").astype(object)
    ids = np.array([f"C{i:05d}" for i in range(1, customers + 1)], dtype=object)
    signup_text = _day(signup).astype(object)
    # Messy on purpose: two repeated ids, one cancel before signup, one unknown signup.
    ids[[17, 18]] = ids[[5, 6]]
    cancelled[40], signup_text[40] = "2024-01-02", "2024-03-01"
    signup_text[41] = ""
    mrr = PLAN_MRR[plan] * rng.choice([1.0, 1.0, 1.0, 2.0], customers)
    with open(out / "customers.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Customer", "Signup", "Cancelled", "Plan", "Source", "MRR"])
        writer.writerows(
            zip(ids, signup_text, cancelled, PLANS[plan], SOURCES[source], mrr, strict=True)
        )
    # Orders: each customer orders now and then while active.
    per_customer = rng.poisson(np.array([2.0, 4.0, 6.0])[plan])
    owner = np.repeat(np.arange(customers), per_customer)
    active_days = np.maximum(np.minimum(end, DAYS - 1) - signup, 0)
    day = signup[owner] + np.floor(rng.random(owner.size) * (active_days[owner] + 1)).astype(int)
    order = np.argsort(day, kind="stable")
    owner, day = owner[order], day[order]
    amount = np.round(rng.lognormal(np.log(np.array([40.0, 90.0, 300.0])[plan[owner]]), 0.5), 2)
    amount_text = amount.astype(str).astype(object)
    amount_text[rng.random(owner.size) < 0.003] = "n/a"
    seconds = rng.integers(0, 86_400, owner.size).astype("timedelta64[s]")
    stamp = np.datetime_as_string(START + day.astype("timedelta64[D]") + seconds, unit="s")
    with open(out / "orders.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Order", "Cust", "Ordered", "Amount"])
        writer.writerows(
            zip(np.arange(1, owner.size + 1), ids[owner], stamp, amount_text, strict=True)
        )
    # Spend: one row per day and channel.
    days = np.repeat(np.arange(DAYS), len(SPEND_SOURCES))
    channel = np.tile(SPEND_SOURCES, DAYS)
    base = np.array([400.0, 250.0, 60.0, 900.0])[np.tile(np.arange(len(SPEND_SOURCES)), DAYS)]
    cost = np.round(base * rng.uniform(0.6, 1.4, days.size), 2)
    with open(out / "spend.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Day", "Source", "Cost"])
        writer.writerows(zip(_day(days), channel, cost, strict=True))


PLATFORMS = np.array(["ios", "android", "web"])


def event_chunks(events: int, seed: int):
    """Product-usage events in chunks: heavy users come back daily, most now and then."""
    rng = np.random.default_rng(seed + 300)
    users = max(events // 40, 10)
    weight = rng.pareto(1.2, users) + 1
    for start in range(0, events, CHUNK):
        rows = min(CHUNK, events - start)
        user = rng.choice(users, size=rows, p=weight / weight.sum())
        seconds = rng.integers(0, 181 * 86400, rows)
        kind = rng.choice(3, rows, p=[0.5, 0.45, 0.05])
        yield {
            "uid": user + 1000,
            "ts": np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]"),
            "platform": PLATFORMS[user % 3],
            "event": np.array(["open", "view", "purchase"])[kind],
        }


def write_events(out: Path, events: int, seed: int, parquet: bool = True, jsonl: bool = False):
    """events.parquet, or events.csv (timestamps with Z) without Parquet, or events.jsonl (one
    object a line, ids as numbers, as product-analytics exports write them)."""
    if jsonl:
        with open(out / "events.jsonl", "w", encoding="utf-8") as fh:
            for c in event_chunks(events, seed):
                line = np.char.add('{"uid":', c["uid"].astype(str))
                stamp = np.datetime_as_string(c["ts"], unit="s")
                parts = (',"ts":"', stamp, 'Z","platform":"', c["platform"], '","event":"')
                for text in (*parts, c["event"], '"}\n'):
                    line = np.char.add(line, text)
                fh.write("".join(line.tolist()))
        return
    if not parquet:
        with open(out / "events.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["uid", "ts", "platform", "event"])
            for c in event_chunks(events, seed):
                stamp = np.char.add(np.datetime_as_string(c["ts"], unit="s"), "Z")
                writer.writerows(zip(c["uid"], stamp, c["platform"], c["event"], strict=True))
        return
    sink = None
    for c in event_chunks(events, seed):
        table = pa.table({**c, "ts": pa.array(c["ts"], pa.timestamp("s", tz="UTC"))})
        if sink is None:
            sink = pq.ParquetWriter(out / "events.parquet", table.schema, compression="zstd")
        sink.write_table(table)
    if sink is not None:
        sink.close()


def write_loyalty(out: Path, entries: int, seed: int) -> None:
    """A loyalty ledger: earn entries, redemptions (some recorded as negative points), and a few
    entry types that are neither."""
    rng = np.random.default_rng(seed + 400)
    member = rng.integers(1, max(entries // 12, 2), entries)
    kind = rng.choice(4, size=entries, p=[0.7, 0.27, 0.02, 0.01])
    kinds = np.array(["earn", "redeem", "Redeem", "adjust"])[kind].astype(object)
    kinds[kind == 0] = np.where(rng.random(int((kind == 0).sum())) < 0.05, "EARN", "earn")
    points = np.where(kind == 0, rng.integers(10, 500, entries), rng.integers(100, 1000, entries))
    points = np.where((kind == 2) & (rng.random(entries) < 0.5), -points, points)
    seconds = np.sort(rng.integers(0, 181 * 86400, entries))
    stamp = np.datetime_as_string(
        np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]"), unit="s"
    )
    with open(out / "loyalty.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["member", "pts", "kind", "at"])
        writer.writerows(zip([f"M{m:05d}" for m in member], points, kinds, stamp, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = ["survey", "tickets", "customers", "events", "loyalty", "all"]
    parser.add_argument("--kind", choices=kinds, default="all")
    parser.add_argument(
        "--rows",
        type=int,
        default=None,
        help="default: 4000 survey, 3000 tickets, 2000 customers, 300000 events, 5000 loyalty",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--no-parquet", action="store_true")
    parser.add_argument(
        "--clean", action="store_true", help="survey: survey-clean.csv, no invalid scores"
    )
    parser.add_argument("--jsonl", action="store_true", help="events: events.jsonl")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.kind in ("survey", "all"):
        rows = args.rows or 4000
        if args.clean:
            write_csv(args.out / "survey-clean.csv", rows, args.seed, clean=True)
            return
        write_csv(args.out / "survey.csv", rows, args.seed)
        if not args.no_parquet:
            write_parquet(args.out / "survey.parquet", rows, args.seed)
    if args.kind in ("tickets", "all"):
        write_tickets(args.out, args.rows or 3000, args.seed, not args.no_parquet)
    if args.kind in ("customers", "all"):
        write_customers(args.out, args.rows or 2000, args.seed)
    if args.kind in ("events", "all"):
        write_events(args.out, args.rows or 300_000, args.seed, not args.no_parquet, args.jsonl)
    if args.kind in ("loyalty", "all"):
        write_loyalty(args.out, args.rows or 5000, args.seed)


if __name__ == "__main__":
    main()
