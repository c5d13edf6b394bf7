"""Export profiles: each recognises its tool's export (a faithful fixture in exports.py) and no
file that merely shares a column; its table entries name real roles; flags win over it."""

from __future__ import annotations

import exports
import pytest

from cxcli.profiles import PROFILES, recognise
from cxcli.registry import all_kpis

FIXTURES = {
    "qualtrics": exports.qualtrics,
    "surveymonkey": exports.surveymonkey,
    "delighted": exports.delighted,
    "zendesk": exports.zendesk,
    "freshdesk": exports.freshdesk,
    "call-log": exports.call_log,
    "stripe": exports.stripe,
    "chargebee": exports.chargebee,
    "shopify": exports.shopify,
    "amplitude": exports.amplitude,
    "mixpanel": exports.mixpanel,
    "segment": exports.segment,
}


def test_every_profile_has_a_fixture_and_names_real_roles():
    assert {p.name for p in PROFILES} == set(FIXTURES)
    kpis = all_kpis()
    for profile in PROFILES:
        for kpi, roles in profile.roles.items():
            names = {r.name for r in kpis[kpi].roles} if kpi != "*" else set()
            assert set(roles) <= names, (profile.name, kpi, set(roles) - names)
        for kpi, options in profile.options.items():
            fields = {f.name for f in __import__("dataclasses").fields(kpis[kpi])}
            assert set(options) <= fields, (profile.name, kpi)
        assert profile.source in ("published", "memory")


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_each_export_is_recognised(cx, tmp_path, name):
    path = FIXTURES[name](tmp_path)
    info = cx("inspect", str(path), "--json").json[0]
    assert info["profile"] == name


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_a_file_with_all_but_one_signature_column_is_not_recognised(name):
    profile = next(p for p in PROFILES if p.name == name)
    for left_out in profile.signature:
        header = [c for c in profile.signature if c != left_out] + ["Other"]
        assert recognise(header) is None or recognise(header).name != name


def test_a_generic_file_sharing_a_column_is_no_export(cx, write_csv):
    path = write_csv("g.csv", "Score,Status,Id\n9,ok,1\n3,ok,2\n")
    result = cx("nps", str(path), "-q")
    assert result.exit_code == 0 and result.json["params"]["profile"] is None


def test_flags_win_and_profiles_can_be_forced_or_refused(cx, tmp_path):
    path = exports.zendesk(tmp_path)
    auto = cx("fcr", str(path))
    assert "Zendesk ticket export (profile zendesk): --contacts 'Replies'" in auto.stderr
    mine = cx("fcr", str(path), "--contacts", "Reopens", "-q")
    assert mine.json["params"]["contacts"] == "Reopens"
    assert mine.json["params"]["reopened"] == "Reopens"  # the rest still from the profile
    none = cx("fcr", str(path), "--profile", "none")
    assert none.json["params"]["profile"] is None and "profile" not in none.stderr
    bad = cx("fcr", str(path), "--profile", "hubspot", "-q")
    assert bad.exit_code == 2 and "not a profile; one of: qualtrics" in bad.stderr
    listing = cx("profiles").stdout
    assert all(p.name in listing for p in PROFILES) and "(memory)" in listing


def test_zendesk_fcr_counts_reopens(cx, tmp_path):
    import pandas as pd

    path = exports.zendesk(tmp_path)
    frame = pd.read_csv(path)
    solved = frame[frame["Solved at"].notna()]
    first = ((solved["Replies"] <= 1) & (solved["Reopens"] == 0)).sum()
    result = cx("fcr", str(path), "-q")
    assert result.json["value"] == pytest.approx(100 * first / len(solved))
    assert result.json["quality"]["invalid"] == 0  # a Reopens of 2 is a count, not invalid


def test_qualtrics_previews_are_left_out(cx, tmp_path):
    import pandas as pd
    from exports import read_rows, write_rows

    rows = read_rows(exports.qualtrics(tmp_path))
    for row in rows[3:13]:
        row[2] = "1"  # survey previews
    path = write_rows(tmp_path / "previews.csv", rows)
    frame = pd.read_csv(path, skiprows=[1, 2])
    real = frame[frame["Status"] != 1]["Q1"].dropna()
    result = cx("nps", str(path))
    truth = 100 * ((real >= 9).sum() - (real <= 6).sum()) / len(real)
    assert result.json["value"] == pytest.approx(truth)
    assert result.json["quality"]["filtered_out"] == 10
    assert "survey previews, tests and spam left out" in result.stderr


def test_shopify_order_lines_refunds_and_voids(cx, tmp_path):
    """By hand (exports.SHOPIFY_ORDERS), May 2025: orders #1001 (100), #1002 (50, refunded in
    full), #1003 (80, 30 refunded), #1006 (25); #1004 voided, #1005 in April. Net 175 over
    customers a and b; gross 255; 3 later lines of #1001 and #1003 carry no totals."""
    path = exports.shopify(tmp_path)
    result = cx("arpu", str(path), "--from", "2025-05-01", "--to", "2025-06-01", "-q")
    assert result.exit_code == 0, result.stderr
    d = result.json["details"]
    assert (result.json["value"], d["revenue"], d["gross_revenue"]) == (87.5, 175, 255)
    assert (d["orders"], d["customers"], d["line_items"], d["refunded"]) == (4, 2, 3, 80)
    assert result.json["quality"]["missing"] == 0
    clv = cx("clv", str(path), "--lifespan", "2", "--years", "1", "-q").json["details"]
    assert (clv["orders"], clv["revenue"], clv["line_items"]) == (5, 235, 3)  # April's too


def test_segment_and_chargebee(cx, tmp_path):
    import pandas as pd

    path = exports.segment(tmp_path)
    frame = pd.read_json(path, lines=True)
    times = pd.to_datetime(frame["timestamp"], utc=True)
    may = (times >= pd.Timestamp("2025-05-01", tz="UTC")) & (
        times < pd.Timestamp("2025-06-01", tz="UTC")
    )
    result = cx("mau", str(path), "-q")
    assert result.json["params"]["from"] == "2025-05-01"
    assert result.json["value"] == frame.loc[may, "userId"].dropna().nunique()
    churn = cx(
        "churn",
        str(exports.chargebee(tmp_path)),
        "--from",
        "2025-05-01",
        "--to",
        "2025-06-01",
        "-q",
    )
    assert (churn.json["value"], churn.json["details"]["S"]) == (50.0, 2)


PROPOSED = {  # what cx inspect and cx init propose on each export (cac needs a spend file too)
    "qualtrics": {"nps", "csat", "ces"},
    "surveymonkey": {"nps", "csat"},
    "delighted": {"nps", "sentiment", "themes"},  # its 0-10 Score is no CSAT or CES; comments
    "zendesk": {"csat", "fcr", "art"},  # its ticket Id is no customer: no churn
    "freshdesk": {"csat", "fcr", "aht", "art"},
    "call-log": {"aht"},
    "stripe": {"churn", "retention"},  # its two end columns: cohorts asks which
    "chargebee": {"churn", "retention", "cohorts"},
    "shopify": {"arpu", "clv"},
    "amplitude": {"mau", "cohorts"},
    "mixpanel": {"mau", "cohorts"},
    "segment": {"mau", "arpu", "clv", "cohorts"},  # Order Completed events carry a revenue property
}


@pytest.mark.parametrize("name", sorted(PROPOSED))
def test_init_proposes_only_what_makes_sense(cx, tmp_path, name):
    path = FIXTURES[name](tmp_path)
    info = cx("inspect", str(path), "--json").json[0]
    proposed = {k["kpi"] for k in info["kpis"]} - {"cac"}
    assert proposed == PROPOSED[name]
    assert all(k["why"] for k in info["kpis"])  # each says why
    config = tmp_path / "cx.toml"
    assert cx("init", str(path), "-o", str(config)).exit_code == 0
    entries = {
        line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("kpi = ")
    }
    assert entries == PROPOSED[name] - {"clv"}  # CLV waits, commented out, for a lifespan


def test_reasons_a_kpi_is_not_proposed(cx, tmp_path):
    delighted = cx("inspect", str(exports.delighted(tmp_path)), "--json").json[0]["not_found"]
    assert "does not fit --score" in delighted["csat"]
    zendesk = cx("inspect", str(exports.zendesk(tmp_path)), "--json").json[0]["not_found"]
    assert "'Id' is unique to each row" in zendesk["churn"] or "no end" in zendesk["churn"]
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("score,id\n" + "".join(f"{1 + i % 5},{i}\n" for i in range(40)))
    found = cx("inspect", str(ratings), "--json").json[0]
    assert "no 0–10 likelihood answers" in found["not_found"]["nps"]
    assert "csat" in {k["kpi"] for k in found["kpis"]}
