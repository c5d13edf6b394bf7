"""Fuzzing: random CSV exports through every KPI. Whatever the bytes, cx exits 0 or 2 — never
1, never a traceback — and whenever it exits 0 every row is accounted for; on well-formed
files the survey KPIs equal an independent computation. `make fuzz` runs a bigger budget."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcli.registry import all_kpis

# Each KPI's command line on the fuzzed file (every role's default name is in the header).
EXTRA = {
    "clv": ["--lifespan", "2"],
    "cac": ["--customers", "{file}"],
}
HEADER = sorted({role.default for cls in all_kpis().values() for role in cls.roles} | {"segment"})
TOKENS = st.sampled_from(
    [
        "",
        "0",
        "7",
        "9",
        "10",
        "9.0",
        "9.5",
        "-1",
        "11",
        "ten",
        "NA",
        " 8 ",
        "1e3",
        "2025-03-04",
        "2025-03-04T10:00:00Z",
        "31/12/2025",
        "yes",
        "no",
        "07:40",
        "1:02:03",
        'a "quote"',
        "comma, inside",
        "line\nbreak",
        "\ufeff",
        "é",
        "\x00",
        "=SUM(A1)",
    ]
)
cell = st.one_of(TOKENS, st.text(max_size=6))


def write(rows: list[list[str]], quoting: int, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, delimiter=delimiter, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def check_exit(result) -> None:
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr


def check_accounting(data: dict) -> None:
    """Every row the reader counted (an independent count: the inputs' rows) is used, missing,
    invalid or filtered out, in the headline and in the groups together."""
    q = data["quality"]
    read = sum(i["rows"] for i in data["inputs"])
    assert q["used"] + q["missing"] + q["invalid"] + q["filtered_out"] == read - q["skipped_lines"]
    if data["groups"] and not data["params"].get("period"):  # segments partition the rows
        assert sum(g["quality"]["rows"] for g in data["groups"]) == q["rows"]


def run_any_kpi(cx, kpi: str, path) -> None:
    """`cx KPI` on the file: exit 0 or 2, and on 0 every row accounted for."""
    extra = [a.replace("{file}", str(path)) for a in EXTRA.get(kpi, [])]
    files = ["--spend", str(path)] if kpi == "cac" else [str(path)]
    result = cx(kpi, *files, *extra, "-q", "-f", "json")
    check_exit(result)
    if result.exit_code == 0:
        check_accounting(json.loads(result.stdout))


def oracle_nps(values: list[str]) -> tuple[float | None, int]:
    scores = []
    for raw in values:
        text = raw.strip()
        try:
            number = float(text)
        except ValueError:
            continue
        whole = "." not in text or text.split(".", 1)[1].strip("0") in ("",) or "e" in text.lower()
        if math.isfinite(number) and number == int(number) and 0 <= number <= 10 and whole:
            scores.append(int(number))
    if not scores:
        return None, 0
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return 100 * (promoters - detractors) / len(scores), len(scores)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(cell, min_size=len(HEADER), max_size=len(HEADER)), max_size=25),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    delimiter=st.sampled_from([",", ";"]),
)
def test_well_formed_files_give_the_independent_value(
    cx, tmp_path_factory, rows, quoting, delimiter
):
    # Well-formed: no NUL, and no bare CR (the csv module leaves it unquoted: a line end to
    # a CSV reader).
    rows = [[c.replace("\x00", "").replace("\r", "") for c in row] for row in rows]
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_text(write(rows, quoting, delimiter), encoding="utf-8")
    # Every example must run (no share of invalid values stops it) and match the oracle.
    result = cx(
        "nps", str(path), "--score", "nps_score", "--max-invalid", "100", "-q", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    check_accounting(data)
    assert data["quality"]["rows"] == len(rows)
    value, n = oracle_nps([row[HEADER.index("nps_score")] for row in rows])
    assert data["n"] == n
    assert (data["value"] is None and value is None) or abs(data["value"] - value) < 1e-9


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    text=st.lists(st.lists(cell, min_size=0, max_size=len(HEADER) + 2), max_size=12),
    noise=st.binary(max_size=40),
    where=st.integers(0, 400),
    kpi=st.sampled_from(sorted(all_kpis())),
)
def test_any_bytes_any_kpi_exit_0_or_2(cx, tmp_path_factory, text, noise, where, kpi):
    """Ragged rows, blank lines, stray quotes and random bytes, through every KPI."""
    body = write(text, csv.QUOTE_MINIMAL, ",").encode("utf-8", "replace")
    body = body[:where] + noise + body[where:] if where < len(body) else body + noise
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(body)
    run_any_kpi(cx, kpi, path)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    names=st.lists(st.one_of(TOKENS, st.text(max_size=8)), min_size=1, max_size=6),
    blank=st.sampled_from(["", "\n", "\r\n\n"]),
    args=st.sampled_from([[], ["--score", "LTR"], ["--by", " x "], ["--where", "a = 1"]]),
)
def test_any_header_exit_0_or_2(cx, tmp_path_factory, names, blank, args):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerow(["9"] * len(names))
    path = tmp_path_factory.mktemp("fuzz") / "h.csv"
    path.write_bytes((blank + out.getvalue()).replace("\x00", "").encode("utf-8", "replace"))
    check_exit(cx("nps", str(path), *args, "-q", "-f", "json"))


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    TOKENS,
    st.text(max_size=6),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(HEADER), inner, max_size=3)
    ),
    max_leaves=6,
)
records = st.lists(st.dictionaries(st.sampled_from(HEADER), json_values, max_size=8), max_size=12)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    rows=records,
    layout=st.sampled_from(["lines", "array", "pretty"]),
    noise=st.binary(max_size=12),
    where=st.integers(0, 300),
    kpi=st.sampled_from(sorted(all_kpis())),
)
def test_any_json_records_any_kpi_exit_0_or_2(
    cx, tmp_path_factory, rows, layout, noise, where, kpi
):
    """Nested values, drift, huge numbers, odd keys and stray bytes in JSON: 0 or 2."""
    if layout == "lines":
        body = "".join(json.dumps(r) + "\n" for r in rows).encode()
    else:
        body = json.dumps(rows, indent=2 if layout == "pretty" else None).encode()
    if where % 3 == 0:  # now and then, damage it
        body = body[:where] + noise + body[where:]
    path = tmp_path_factory.mktemp("fuzz") / "f.json"
    path.write_bytes(body)
    run_any_kpi(cx, kpi, path)


cells = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(-1e12, 1e12, allow_nan=False),
    st.integers(-1000, 10**12),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30)),
    TOKENS,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(cells, min_size=1, max_size=5), max_size=10),
    kpi=st.sampled_from(["nps", "csat", "aht", "art", "mau"]),
)
def test_any_workbook_cells_exit_0_or_2(cx, tmp_path_factory, rows, kpi):
    """Any mix of typed cells in a workbook: read as CSV-like text, 0 or 2."""
    from exports import workbook

    names = ["nps_score", "talk_seconds", "created_at", "resolved_at", "user_id"]
    path = workbook(tmp_path_factory.mktemp("fuzz") / "f.xlsx", [names, *rows])
    result = cx(kpi, str(path), "-q", "-f", "json")
    check_exit(result)
    if result.exit_code == 0:
        check_accounting(json.loads(result.stdout))


HUGE = st.one_of(
    st.floats(0, 1e7),
    st.floats(0, 1e300),
    st.sampled_from([1e13, 1e15, 1e308, 99_999 * 3600.0, 604_800.0, 604_801.0, 0.0]),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(HUGE, min_size=1, max_size=20), st.integers(1, 40))
def test_huge_and_sentinel_durations_and_amounts(cx, tmp_path_factory, values, repeat):
    """Sums never wrap: the mean is the exact mean of the values in range (handle times up to
    7 days, amounts up to 1e15), the rest invalid, whatever their size and number."""
    folder = tmp_path_factory.mktemp("huge")
    rows = [f"{v!r}" for v in values] * repeat
    aht = folder / "aht.csv"
    aht.write_text("handle_seconds\n" + "\n".join(rows) + "\n")
    result = cx("aht", str(aht), "--max-invalid", "100", "-q", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    kept = [v for v in values if v <= 7 * 86400] * repeat
    assert data["n"] == len(kept) and data["quality"]["invalid"] == len(rows) - len(kept)
    if kept:
        assert math.isclose(data["value"], math.fsum(kept) / len(kept), rel_tol=1e-12, abs_tol=1e-6)
    orders = folder / "orders.csv"
    orders.write_text(
        "customer_id,amount,order_date\n"
        + "".join(f"c{i % 7},{v!r},2025-03-05\n" for i, v in enumerate(values * repeat))
    )
    window = ("--from", "2025-03-01", "--to", "2025-04-01")
    result = cx("arpu", str(orders), *window, "--max-invalid", "100", "-q", "-f", "json")
    assert result.exit_code == 0, result.stderr
    revenue = json.loads(result.stdout)["details"]["revenue"]
    in_range = [v for v in values if v <= 1e15] * repeat
    exact = sum(round(v * 1_000_000) for v in in_range) / 1_000_000
    assert revenue >= 0 and math.isclose(revenue, exact, rel_tol=1e-12)
