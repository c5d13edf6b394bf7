"""The pipeline: grouping, filters, row accounting, and that batching never changes a result."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from cxcli import engine
from cxcli.engine import Query, run
from cxcli.errors import InputError, UsageError
from cxcli.kpis.ces import Ces
from cxcli.kpis.csat import Csat
from cxcli.kpis.nps import Nps
from cxcli.periods import Period, parse_date

SURVEY = """id,Score,Region,Channel,When
1,10,EMEA,email,2025-01-05T10:00:00Z
2,9,EMEA,chat,2025-01-20
3,3,NA,email,2025-02-01T00:30:00+02:00
4,11,NA,chat,2025-02-03
5,,APAC,email,2025-02-10
6,9.0,,chat,2025-02-11
7,7,EMEA,email,nope
8,0,EMEA,email,2025-02-28T23:59:59Z
"""


def report(path, kpi=None, **query):
    """The report as JSON; these small files are mostly invalid on purpose: no guard."""
    return run(kpi or Nps(), [str(path)], Query(**{"max_invalid": 100, **query})).to_dict()


def assert_accounting(data):
    for entry in [data, *data["groups"]]:
        q = entry["quality"]
        assert q["rows"] == q["used"] + q["missing"] + q["invalid"]
        assert entry["n"] == q["used"]
    if data["groups"]:
        for field in ("rows", "used", "missing", "invalid"):
            assert sum(g["quality"][field] for g in data["groups"]) == data["quality"][field]


def test_groups_by_two_columns(write_csv):
    data = report(write_csv("s.csv", SURVEY), columns={"score": "Score"}, by=("Region", "Channel"))
    keys = [tuple(g["key"].values()) for g in data["groups"]]
    assert keys == [
        ("APAC", "email"),
        ("EMEA", "chat"),
        ("EMEA", "email"),
        ("NA", "chat"),
        ("NA", "email"),
        (None, "chat"),
    ]
    emea_email = data["groups"][2]
    assert emea_email["value"] == 0.0 and emea_email["n"] == 3  # 10, 7, 0
    assert_accounting(data)


def test_period_groups_with_change_and_unusable_times(write_csv):
    data = report(
        write_csv("s.csv", SURVEY),
        columns={"score": "Score"},
        period=Period.MONTH,
        time="When",
    )
    by_period = {g["key"]["period"]: g for g in data["groups"]}
    assert list(by_period) == ["2025-01", "2025-02", None]
    # 2025-02-01T00:30+02:00 is 2025-01-31 in UTC
    assert by_period["2025-01"]["n"] == 3 and by_period["2025-01"]["value"] == pytest.approx(
        100 / 3
    )
    feb = by_period["2025-02"]
    assert feb["n"] == 2 and feb["value"] == 0.0
    assert feb["change"]["vs"] == "2025-01"
    assert feb["change"]["delta"] == pytest.approx(-100 / 3)
    change = feb["change"]
    assert 0 < change["p_value"] <= 1 and change["significant"] is False
    assert change["test"] == "permutation_exact" and change["p_adjusted"] == change["p_value"]
    assert by_period["2025-01"]["change"] is None
    assert by_period[None]["quality"]["invalid"] == 1  # 'nope'
    assert data["quality"]["invalid_examples"][-1]["column"] == "When"
    assert_accounting(data)


def test_since_until_filter_and_count(write_csv):
    data = report(
        write_csv("s.csv", SURVEY),
        columns={"score": "Score"},
        time="When",
        since=parse_date("2025-02-01", "--since"),
        until=parse_date("2025-02-28", "--until"),
    )
    # kept: rows 4, 5, 6 (valid times in Feb before the 28th) and 7 (invalid time)
    assert data["quality"]["filtered_out"] == 4
    assert (data["quality"]["rows"], data["n"]) == (4, 1)
    assert data["value"] == 100.0
    assert_accounting(data)


def test_where_filter(write_csv):
    data = report(
        write_csv("s.csv", SURVEY),
        columns={"score": "Score"},
        where="Channel = 'email' and Region != 'APAC'",
    )
    assert data["quality"]["filtered_out"] == 4
    assert data["n"] == 4 and data["value"] == -25.0  # 10, 3, 7, 0


def test_where_unknown_column_suggests(write_csv):
    with pytest.raises(InputError, match="column 'Regoin'") as info:
        report(write_csv("s.csv", SURVEY), columns={"score": "Score"}, where="Regoin = 'NA'")
    assert "did you mean 'Region'" in str(info.value)


def test_strict_names_file_row_column_value(write_csv):
    with pytest.raises(InputError, match=r"s.csv: row 4, column 'Score': invalid value '11'"):
        report(write_csv("s.csv", SURVEY), columns={"score": "Score"}, strict=True)


def test_role_found_by_alias_and_announced(write_csv):
    seen = []
    path = write_csv("s.csv", "Likelihood To Recommend,x\n9,1\n")
    run(Nps(), [str(path)], notice=seen.append)
    assert seen == ["using column 'Likelihood To Recommend' for --score"]


def test_ambiguous_alias(write_csv):
    with pytest.raises(InputError, match="several columns could be --score: 'NPS', 'LTR'"):
        report(write_csv("s.csv", "NPS,LTR\n1,2\n"))


def test_missing_role_lists_columns(write_csv):
    with pytest.raises(InputError, match=r"no column found for --score; columns: 'a', 'b'"):
        report(write_csv("s.csv", "a,b\n1,2\n"))


def test_query_validation():
    with pytest.raises(UsageError):
        Query(confidence=1.5)
    with pytest.raises(UsageError):
        Query(since=10, until=5)


def test_csv_and_parquet_agree(write_csv, write_parquet):
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 11, 5000)
    regions = rng.choice(["a", "b", "c"], 5000)
    csv_path = write_csv(
        "s.csv",
        "nps_score,region\n" + "".join(f"{s},{r}\n" for s, r in zip(scores, regions, strict=True)),
    )
    pq_path = write_parquet("s.parquet", {"nps_score": scores, "region": regions})
    a, b = report(csv_path, by=("region",)), report(pq_path, by=("region",))
    strip = lambda d: {k: v for k, v in d.items() if k not in ("inputs",)}  # noqa: E731
    for ga, gb in zip(a["groups"], b["groups"], strict=True):
        assert ga["value"] == gb["value"] and ga["details"] == gb["details"]
    assert strip(a)["value"] == strip(b)["value"]


def test_small_batches_give_the_same_report(write_csv, monkeypatch):
    rng = random.Random(5)
    lines = ["nps_score,Region,When"]
    for i in range(3000):
        score = rng.choice(["", "x", "11", *map(str, range(11))])
        lines.append(f"{score},{rng.choice('ABC')},2025-0{rng.randint(1, 6)}-1{i % 10}")
    path = write_csv("s.csv", "\n".join(lines) + "\n")
    query = {"by": ("Region",), "period": Period.MONTH, "time": "When"}
    whole = report(path, **query)
    monkeypatch.setattr(engine, "BLOCK_SIZES", (997,))  # 997-byte CSV blocks, no retry
    pieces = report(path, **query)
    assert pieces == whole
    assert_accounting(whole)


def test_batches_are_coalesced_up_to_a_row_or_byte_budget(monkeypatch):
    """Narrow columns are gathered to COALESCE_ROWS rows, wide ones cut at COALESCE_BYTES;
    every row is kept, in order."""
    import pyarrow as pa

    from cxcli import fragments

    monkeypatch.setattr(fragments, "COALESCE_ROWS", 1000)
    monkeypatch.setattr(fragments, "COALESCE_BYTES", 10_000)
    narrow = [pa.record_batch({"s": pa.array(["7"] * 100)}) for _ in range(25)]
    sizes = [b.num_rows for b in fragments._coalesce(iter(narrow))]
    assert sizes == [1000, 1000, 500]
    wide = [
        pa.record_batch({"t": pa.array([f"2025-01-01T00:00:{i % 60:02d}Z" for i in range(100)])})
        for _ in range(25)
    ]  # 2,400 bytes a batch: cut after five
    out = list(fragments._coalesce(iter(wide)))
    assert [b.num_rows for b in out] == [500] * 5
    assert pa.Table.from_batches(out).equals(pa.Table.from_batches(wide))


def test_tiny_batch_budget_gives_the_same_report(write_csv, monkeypatch):
    from cxcli import fragments

    rng = random.Random(8)
    lines = ["nps_score,Region,When"]
    for i in range(3000):
        score = rng.choice(["", "x", *map(str, range(11))])
        lines.append(f"{score},{rng.choice('ABC')},2025-0{rng.randint(1, 6)}-1{i % 10}T10:00:00")
    path = write_csv("s.csv", "\n".join(lines) + "\n")
    query = {"by": ("Region",), "period": Period.MONTH, "time": "When"}
    whole = report(path, **query)
    monkeypatch.setattr(engine, "BLOCK_SIZES", (997,))
    monkeypatch.setattr(fragments, "COALESCE_BYTES", 1)  # every CSV block its own batch
    assert report(path, **query) == whole
    # each group's examples are its first invalid rows in the file, across batches
    regions = [(row, line.split(",")) for row, line in enumerate(lines[1:], 1)]
    for group in whole["groups"]:
        region, month = group["key"]["Region"], group["key"]["period"]
        bad = [r for r, (s, g, w) in regions if g == region and w[:7] == month and s == "x"]
        shown = [e["row"] for e in group["quality"]["invalid_examples"]]
        assert shown == bad[: fragments.GROUP_EXAMPLES] and len(bad) > fragments.GROUP_EXAMPLES


@pytest.mark.parametrize("kpi", [Nps(), Csat(), Ces()])
def test_update_groups_matches_update_per_group(kpi):
    rng = np.random.default_rng(1)
    low, high = kpi.bounds
    values = rng.integers(low, high + 1, 1000)
    ids = rng.integers(0, 7, 1000)
    grouped = kpi.update_groups({"score": values}, ids, 7)
    for g in range(7):
        assert np.array_equal(grouped[g], kpi.update(kpi.init(), {"score": values[ids == g]}))


@pytest.mark.parametrize("kpi", ["nps", "aht"])
def test_byte_ranges_on_threads_give_the_one_stream_report(monkeypatch, kpi):
    """A large CSV is parsed in byte ranges on several threads: same numbers, same row
    numbers in examples (the sample has quoted line breaks, so cuts must respect quotes)."""
    from conftest import SAMPLE

    from cxcli.formats import delimited as source
    from cxcli.kpis.aht import Aht

    path, chosen, query = str(SAMPLE / "survey.csv"), Nps(), Query(by=("Region",))
    if kpi == "aht":
        path, chosen = str(SAMPLE / "tickets.csv"), Aht()
        query = Query(columns={"talk": "Talk", "hold": "Hold", "acw": "Wrap"})
    monkeypatch.setattr(source, "PARALLEL_MIN_BYTES", 10 << 30)
    one = run(chosen, [path], query).to_dict()
    monkeypatch.setattr(source, "PARALLEL_MIN_BYTES", 1024)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    ranges = run(chosen, [path], query).to_dict()
    assert ranges == one
    assert one["quality"]["invalid_examples"]


def test_ranges_respect_quotes(write_csv):
    from cxcli.formats import delimited as source
    from cxcli.source import open_reader, resolve_inputs

    text = "nps_score,comment\n" + '9,"a\nb, c"\n10,plain\n' * 2000
    path = write_csv("q.csv", text)

    old, source.PARALLEL_MIN_BYTES = source.PARALLEL_MIN_BYTES, 100
    try:
        reader = open_reader(resolve_inputs([str(path)])[0])
        ranges = reader.ranges(3)
    finally:
        source.PARALLEL_MIN_BYTES = old
    data = path.read_bytes()
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    for start, _ in ranges[1:]:
        assert data[:start].count(b'"') % 2 == 0 and data[start - 1 : start] == b"\n"


def test_safe_cut_after_a_quoted_field_longer_than_the_search_chunk(tmp_path):
    from cxcli.formats import delimited as source

    long_field = b'9,"' + b"line\n" * 40_000 + b'"\n'  # 200 kB of quoted line breaks
    data = b"nps_score,comment\n" + b"10,x\n" * 100 + long_field + b"7,y\n" * 100
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    target = len(data) // 2  # inside the quoted field
    cuts = source._safe_cuts(str(path), [target], len(data), ",")
    assert cuts == [0, data.index(b'"\n') + 2]


def test_names_as_exports_write_them_and_candidates_that_mean_different_things(write_csv):
    from cxcli.columns import detect_column
    from cxcli.kpis.art import RESOLVED
    from cxcli.kpis.roster import END, ID, START

    header = ["id", "Customer ID", "Created (UTC)", "Start (UTC)", "Canceled At (UTC)"]
    header += ["Ended At (UTC)", "Amount"]
    assert detect_column(ID, header, source="s.csv") == "Customer ID"
    assert detect_column(START, header, source="s.csv") == "Start (UTC)"
    with pytest.raises(InputError) as caught:
        detect_column(END, header, source="s.csv")
    assert str(caught.value).startswith(
        "s.csv: several columns could be --end: 'Canceled At (UTC)': when the customer asked "
        "to cancel, 'Ended At (UTC)': when the subscription ended"
    )
    assert detect_column(RESOLVED, ["Created time", "Resolved time"], source="f") == "Resolved time"
    assert detect_column(ID, ["Order", "Email"], source="o.csv") == "Email"


def test_row_accounting_of_periods_says_what_a_groups_rows_are(cx):
    from conftest import SAMPLE

    churn = [str(SAMPLE / "customers.csv"), "--id", "Customer", "--start", "Signup"]
    churn += ["--end", "Cancelled", "--from", "2025-01-01", "--to", "2025-07-01", "-q"]
    data = cx("churn", *churn, "--period", "quarter", "--by", "Plan").json
    rows = data["quality"]["rows"]
    assert {g["quality"].get("rows_of") for g in data["groups"]} == {"segment"}
    for period in {g["key"]["period"] for g in data["groups"]}:  # segments of one period add up
        assert (
            sum(g["quality"]["rows"] for g in data["groups"] if g["key"]["period"] == period)
            == rows
        )
    by_segment = cx("churn", *churn, "--by", "Plan").json["groups"]
    for g in data["groups"]:  # each period counts its segment's rows
        segment = next(s for s in by_segment if s["key"]["Plan"] == g["key"]["Plan"])
        assert g["quality"]["rows"] == segment["quality"]["rows"]
    assert all("rows_of" not in g["quality"] for g in by_segment)
    for fmt in ("table", "markdown"):  # the views say it too
        shown = " ".join(cx("churn", *churn, "--period", "quarter", "-f", fmt).stdout.split())
        assert "each period counts its segment's every row" in shown.replace("\\", "")
    # A row KPI's periods partition the rows: they add up, and say nothing more.
    nps = cx("nps", str(SAMPLE / "survey.csv"), "--period", "month", "-q").json
    assert sum(g["quality"]["rows"] for g in nps["groups"]) == nps["quality"]["rows"]
    assert all("rows_of" not in g["quality"] for g in nps["groups"])


def test_kpis_read_together_share_parses_and_group_ids(monkeypatch):
    """`cx report` reading one file for several KPIs parses a column read the same way once per
    batch (a score KPI's parse does not depend on how another KPI reads times) and computes
    the group ids of KPIs grouped alike once: the same reports as each KPI alone."""
    from conftest import SAMPLE

    from cxcli import fragments
    from cxcli.engine import run_many
    from cxcli.planning import Job, Source

    monthly = Query(by=("Region",), period=Period.MONTH, time="Submitted At")
    jobs = [
        (Nps(), Query(columns={"score": "LTR"})),
        (Nps(), replace(monthly, columns={"score": "LTR"})),
        (Ces(), replace(monthly, columns={"score": "Effort"})),
    ]
    path = str(SAMPLE / "survey.csv")
    alone = [run(kpi, [path], query).to_dict() for kpi, query in jobs]
    calls = {"parse": 0, "groups": 0}
    parse, group_ids = Nps.parse, fragments.Accumulator._group_ids

    def counted_parse(self, *args):
        calls["parse"] += 1
        return parse(self, *args)

    def counted_groups(self, *args):
        calls["groups"] += 1
        return group_ids(self, *args)

    monkeypatch.setattr(Nps, "parse", counted_parse)
    monkeypatch.setattr(fragments.Accumulator, "_group_ids", counted_groups)
    monkeypatch.setattr("os.cpu_count", lambda: 1)  # one stream: one batch
    reports, _ = run_many(
        [Job(kpi, {"": "s"}, query) for kpi, query in jobs], {"s": Source((path,))}
    )
    assert [r.to_dict() for r in reports] == alone
    assert calls == {"parse": 1, "groups": 1}


def test_parquet_row_groups_on_threads_give_the_one_stream_report(tmp_path, monkeypatch):
    """A long Parquet file is read in runs of row groups on threads: the same report as one
    stream, the rows of invalid examples included."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cxcli.formats import parquet
    from cxcli.source import open_reader, resolve_inputs

    rng = np.random.default_rng(5)
    scores = rng.integers(-1, 12, 5000)
    table = pa.table({"nps_score": scores, "Region": rng.choice(["EMEA", "NA"], 5000)})
    path = tmp_path / "s.parquet"
    pq.write_table(table, path, row_group_size=700)
    query = Query(by=("Region",))
    one = run(Nps(), [str(path)], query).to_dict()
    monkeypatch.setattr(parquet, "PARALLEL_MIN_ROWS", 1000)
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    reader = open_reader(resolve_inputs([str(path)])[0])
    assert reader.ranges(3) == [(0, 3), (3, 5), (5, 8)]
    assert run(Nps(), [str(path)], query).to_dict() == one
    first_bad = int(np.flatnonzero((scores < 0) | (scores > 10))[0])
    assert one["quality"]["invalid_examples"][0]["row"] == first_bad + 1
