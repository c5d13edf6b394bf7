"""The `cx` command: outputs, exit codes, errors, stdin, gates and help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROLE_ARGS, SAMPLE

from cxcli import __version__
from cxcli.registry import all_kpis

SURVEY = str(SAMPLE / "survey.csv")
PARQUET = str(SAMPLE / "survey.parquet")
SMALL = "id,LTR,Region\n1,10,EMEA\n2,9,EMEA\n3,0,NA\n4,7,NA\n5,x,NA\n"


def test_version(cx):
    result = cx("--version")
    assert result.exit_code == 0 and result.stdout == f"cx {__version__}\n"


def test_json_is_the_default_off_a_terminal_and_stdout_holds_only_data(cx, write_csv):
    result = cx("nps", str(write_csv("s.csv", SMALL)))
    assert result.exit_code == 0
    data = result.json  # the whole of stdout is one JSON document
    assert data["value"] == 25.0 and data["n"] == 4
    assert data["quality"] == {
        "rows": 5,
        "used": 4,
        "missing": 0,
        "invalid": 1,
        "filtered_out": 0,
        "skipped_lines": 0,
        "skipped_examples": [],
        "invalid_examples": [
            {"row": 5, "column": "LTR", "value": "x", "file": data["inputs"][0]["path"]}
        ],
    }
    assert "using column 'LTR' for --score" in result.stderr


def test_quiet_keeps_stderr_empty(cx, write_csv):
    result = cx("nps", str(write_csv("s.csv", SMALL)), "-q")
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize(
    ("fmt", "needle"),
    [
        ("table", "Net Promoter Score (nps.standard)"),
        ("csv", "kpi,definition,scope,Region,value,n"),
        ("markdown", "## Net Promoter Score (`nps.standard`)"),
        ("json", '"schema_version": 1'),
    ],
)
def test_formats(cx, write_csv, fmt, needle):
    result = cx("nps", str(write_csv("s.csv", SMALL)), "--by", "Region", "-f", fmt)
    assert result.exit_code == 0 and needle in result.stdout
    assert "\x1b[" not in result.stdout  # NO_COLOR and not a terminal: no escape codes


def test_format_from_environment(cx, write_csv):
    result = cx("nps", str(write_csv("s.csv", SMALL)), env={"CX_FORMAT": "csv"})
    assert result.stdout.startswith("kpi,definition")


def test_output_file_is_written_atomically_with_format_from_suffix(cx, write_csv, tmp_path):
    out = tmp_path / "report.md"
    out.write_text("previous")
    result = cx("nps", str(write_csv("s.csv", SMALL)), "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text().startswith("## Net Promoter Score")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unwritable_output_is_exit_2_and_keeps_nothing_half_written(cx, write_csv, tmp_path):
    result = cx("nps", str(write_csv("s.csv", SMALL)), "-o", str(tmp_path / "no" / "r.json"))
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_stdin(cx):
    result = cx("nps", "-", "--score", "LTR", input=SMALL)
    assert result.exit_code == 0 and result.json["value"] == 25.0
    assert result.json["inputs"][0] == {"path": "-", "format": "csv", "size": None, "rows": 5}


def test_stdin_parquet(cx):
    result = cx("nps", "-", "--score", "LTR", "-q", input=Path(PARQUET).read_bytes())
    assert result.exit_code == 0 and result.json["inputs"][0]["format"] == "parquet"


@pytest.mark.parametrize(
    ("args", "code", "status"),
    [
        (["--min", "20"], 0, "met"),
        (["--min", "30"], 3, "missed"),
        (["--max", "20"], 3, "missed"),
        (["--min", "30", "--gate-on", "interval"], 0, "missed_not_significant"),
        (["--min", "90", "--gate-on", "interval"], 3, "missed"),
    ],
)
def test_gates(cx, write_csv, args, code, status):
    result = cx("nps", str(write_csv("s.csv", SMALL)), "-q", *args)
    assert result.exit_code == code
    assert result.json["gate"]["status"] == status
    if code == 3:
        assert "gate failed" in result.stderr and "--m" in result.stderr


def test_gate_on_groups(cx, write_csv):
    path = str(write_csv("s.csv", SMALL))
    assert cx("nps", path, "-q", "--min", "0").exit_code == 0
    result = cx("nps", path, "-q", "--min", "0", "--by", "Region", "--gate-groups")
    assert result.exit_code == 3
    assert "{'Region': 'NA'}" in result.stderr


def test_gate_with_no_valid_rows_fails(cx, write_csv):
    result = cx("nps", str(write_csv("s.csv", "LTR,note\n,skipped\n")), "-q", "--min", "0")
    assert result.exit_code == 3 and "no value" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.csv"], "nope.csv: no such file or directory"),
        (["{f}", "--score", "LTRR"], "did you mean 'LTR'?"),
        (["{f}", "--by", "Regio"], "column 'Regio' (--by) not found"),
        (["{f}", "--where", "LTR >"], "--where: expected a column name"),
        (["{f}", "--since", "someday"], "--since 'someday' is not a date"),
        (["{f}", "--period", "month"], "no column found for --time"),
        (["{f}", "--strict"], "row 5, column 'LTR': invalid value 'x' (--strict)"),
        (["{f}", "--confidence", "2"], "--confidence 2.0 must be in"),
    ],
)
def test_errors_are_one_clear_message_and_exit_2(cx, write_csv, args, message):
    path = str(write_csv("s.csv", SMALL))
    result = cx("nps", *[a.replace("{f}", path) for a in args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    error = result.stderr[result.stderr.index("cx nps: error: ") :]
    assert len(error.splitlines()) <= 2  # the message, and at most a hint


def test_usage_errors_exit_2(cx):
    assert cx("nps", SURVEY, "--bogus").exit_code == 2
    assert cx("csat", SURVEY, "--scale", "2-9").exit_code == 2
    assert cx("nps", SURVEY, "--period", "fortnight").exit_code == 2


def test_internal_errors_are_one_line_and_exit_1(cx, write_csv, monkeypatch):
    from cxcli import engine

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "run", broken)
    result = cx("nps", str(write_csv("s.csv", SMALL)))
    assert result.exit_code == 1
    assert "internal error: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", list(all_kpis()))
def test_every_kpi_has_a_command_whose_help_ends_with_examples(cx, name):
    result = cx(name, "--help")
    assert result.exit_code == 0
    examples = result.stdout.split("Examples:")[-1]
    assert examples.count(f"$ cx {name}") >= 2


def test_kpis_listing(cx):
    result = cx("kpis")  # a name per KPI at the start of a line; wrapped roles are indented
    names = [line.split()[0] for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert names == list(all_kpis())


def test_done_when_commands(cx):
    """The foundation issue's acceptance commands, on the sample data."""
    by_region = cx("nps", SURVEY, "--score", "LTR", "--by", "Region").json
    assert {g["key"]["Region"] for g in by_region["groups"]} == {"APAC", "EMEA", "LATAM", "NA"}
    monthly = cx(
        "nps", SURVEY, "--score", "LTR", "--period", "month", "--time", "Submitted At"
    ).json
    assert [g["key"]["period"] for g in monthly["groups"]] == [f"2025-0{m}" for m in range(1, 7)]
    assert all("change" in g for g in monthly["groups"])
    parquet = cx("nps", PARQUET, "--score", "LTR", "--by", "Region").json
    assert parquet["inputs"][0]["format"] == "parquet"
    piped = cx("nps", "-", "--score", "LTR", input=Path(SURVEY).read_text()).json
    direct = cx("nps", SURVEY, "--score", "LTR").json
    assert piped["value"] == direct["value"] and piped["quality"] == direct["quality"] | {
        "invalid_examples": piped["quality"]["invalid_examples"]
    }
    assert cx("csat", SURVEY, "--score", "Sat").json["definition"] == "csat.top2box"
    assert cx("ces", SURVEY, "--score", "Effort").json["definition"] == "ces.mean"


def test_json_output_is_byte_identical_across_runs(cx):
    args = ("nps", SURVEY, "--by", "Region", "--period", "month", "-q")
    assert cx(*args).stdout == cx(*args).stdout
    json.loads(cx(*args).stdout)


TIMED = (
    "LTR,Sat,Effort,When\n"
    "10,5,7,2025-03-01\n9,4,6,2025-03-15\n0,1,1,2025-04-02\n8,3,2,2025-04-20\n7,2,5,2025-05-01\n"
)


def test_since_until_and_period_through_the_cli(cx, write_csv):
    path = str(write_csv("t.csv", TIMED))
    data = cx(
        "nps",
        path,
        "-q",
        "--time",
        "When",
        "--since",
        "2025-03-10",
        "--until",
        "2025-05-01",
        "--period",
        "month",
    ).json
    assert data["quality"]["filtered_out"] == 2
    assert [(g["key"]["period"], g["value"]) for g in data["groups"]] == [
        ("2025-03", 100.0),
        ("2025-04", -50.0),
    ]
    assert data["groups"][1]["change"]["vs"] == "2025-03"
    relative = cx("nps", path, "-q", "--time", "When", "--since", "-10000d").json
    assert relative["quality"]["filtered_out"] == 0 and relative["n"] == 5


def test_confidence_widens_the_interval(cx, write_csv):
    path = str(write_csv("t.csv", TIMED))
    narrow = cx("nps", path, "-q", "--confidence", "0.8").json["ci"]
    wide = cx("nps", path, "-q", "--confidence", "0.99").json["ci"]
    assert narrow["level"] == 0.8 and wide["low"] < narrow["low"] < narrow["high"] < wide["high"]


def test_kpi_options_through_the_cli(cx, write_csv):
    path = str(write_csv("t.csv", TIMED))
    csat = cx("csat", path, "-q", "--score", "Sat", "--satisfied", "3").json
    assert csat["definition"] == "csat.top3box" and csat["value"] == 60.0
    assert csat["params"]["satisfied"] == 3
    ces = cx("ces", path, "-q", "--score", "Effort", "--scale", "1-7", "--lower-is-easier").json
    assert ces["details"]["pct_easy"] == 40.0 and ces["higher_is_better"] is False


def test_strict_with_no_valid_values_is_exit_2(cx, write_csv):
    result = cx("nps", str(write_csv("h.csv", "LTR\n")), "--strict", "-q")
    assert result.exit_code == 2 and "no valid values" in result.stderr
    assert cx("nps", str(write_csv("h.csv", "LTR\n")), "-q").json["value"] is None


def test_debug_shows_the_traceback(cx, write_csv):
    with pytest.raises(Exception, match="no such file"):
        cx("nps", "nope.csv", "--debug")


def test_shell_completion(cx):
    result = cx(
        env={"_CX_COMPLETE": "complete_bash", "COMP_WORDS": "cx nps --per", "COMP_CWORD": "2"}
    )
    assert "--period" in result.stdout


def test_hash_inputs(cx, write_csv):
    import hashlib

    path = write_csv("t.csv", TIMED)
    data = cx("nps", str(path), "-q", "--hash-inputs").json
    assert data["inputs"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "sha256" not in cx("nps", str(path), "-q").json["inputs"][0]


def test_time_format(cx, write_csv):
    path = str(write_csv("t.csv", "LTR,When\n10,31/01/2025\n0,01/02/2025\n9,bad\n"))
    args = ["--time", "When", "--time-format", "%d/%m/%Y", "--period", "month"]
    data = cx("nps", path, "-q", *args, "--max-invalid", "40").json
    assert [g["key"]["period"] for g in data["groups"]] == ["2025-01", "2025-02", None]
    assert data["quality"]["invalid_examples"][0]["value"] == "bad"


TICKETS = str(SAMPLE / "tickets.csv")
TICKETS_PQ = str(SAMPLE / "tickets.parquet")


def test_ticket_done_when_commands(cx):
    for path in (TICKETS, TICKETS_PQ):
        fcr = cx("fcr", path, *ROLE_ARGS["fcr"], "--by", "Queue", "-q").json
        assert fcr["definition"] == "fcr.contacts" and fcr["unit"] == "percent"
        assert {g["key"]["Queue"] for g in fcr["groups"]} == {
            "Account",
            "Billing",
            "Shipping",
            "Technical",
        }
        assert fcr["details"]["unresolved"] > 0
        aht = cx("aht", path, *ROLE_ARGS["aht"], "-q").json
        assert aht["definition"] == "aht.components" and aht["quality"]["invalid"] == 1
        assert set(aht["details"]) >= {"median", "p90", "talk_mean", "hold_mean", "acw_mean"}
        art = cx("art", path, *ROLE_ARGS["art"], "-q").json
        assert art["quality"]["invalid"] == 3 and art["details"]["unresolved"] > 0


def test_roles_found_by_alias_for_tickets(cx, write_csv):
    path = str(
        write_csv(
            "t.csv", "created_at,resolved_at,contacts,talk_seconds\n2025-01-01,2025-01-02,1,60\n"
        )
    )
    result = cx("art", path)
    assert result.json["value"] == 86400.0
    assert "using column 'created_at' for --created" in result.stderr
    assert cx("fcr", path, "-q").json["value"] == 100.0
    assert cx("aht", path, "-q").json["value"] == 60.0


def test_fcr_without_contacts_or_flag_lists_columns(cx, write_csv):
    result = cx("fcr", str(write_csv("t.csv", "a,b\n1,2\n")))
    assert result.exit_code == 2
    assert "no column found for --contacts or --first-contact; columns: 'a', 'b'" in result.stderr


def test_top_and_min_n(cx):
    data = cx(
        "aht", TICKETS, "--talk", "Talk", "--by", "Agent", "--top", "3", "--min-n", "130", "-q"
    ).json
    ranking = data["ranking"]
    assert len(ranking["best"]) == 3 and len(ranking["worst"]) == 3
    values = [e["value"] for e in ranking["best"]]
    assert values == sorted(values)  # shorter handle times are better
    small = [g for g in data["groups"] if g["too_small"]]
    assert ranking["too_small"] == len(small) > 0
    ranked = {tuple(e["key"].values()) for e in ranking["best"] + ranking["worst"]}
    assert not ranked & {tuple(g["key"].values()) for g in small}
    table = cx("aht", TICKETS, "--talk", "Talk", "--by", "Agent", "--top", "3", "-f", "table", "-q")
    assert "Best 3" in table.stdout and "Worst 3" in table.stdout


def test_durations_read_as_people_read_them(cx):
    table = cx("art", TICKETS, "--created", "Opened", "--resolved", "Closed", "-f", "table", "-q")
    assert " h " in table.stdout or " d" in table.stdout
    aht = cx("aht", TICKETS, "--talk", "Talk", "-f", "markdown", "-q").stdout
    assert "m " in aht and "s**" in aht


def test_tz_option(cx, write_csv):
    path = str(
        write_csv("t.csv", "created_at,resolved_at\n2025-07-01 10:00,2025-07-01T10:00:00Z\n")
    )
    assert cx("art", path, "-q").json["value"] == 0.0
    assert cx("art", path, "-q", "--tz", "Europe/Berlin").json["value"] == 7200.0
    assert cx("art", path, "-q", "--tz", "Mars/Base").exit_code == 2


CUSTOMERS = str(SAMPLE / "customers.csv")
ORDERS = str(SAMPLE / "orders.csv")
SPEND = str(SAMPLE / "spend.csv")
CHURN = [*ROLE_ARGS["churn"], "-q"]


def test_windowed_default_window_and_series(cx):
    data = cx("churn", CUSTOMERS, *CHURN).json
    # the sample reaches 30 June 2025: June is the last complete month
    assert (data["params"]["from"], data["params"]["to"]) == ("2025-06-01", "2025-07-01")
    assert data["groups"] == [] and data["details"]["duplicate_ids"] == 2
    series = cx(
        "retention",
        CUSTOMERS,
        *CHURN,
        "--from",
        "2025-01-01",
        "--to",
        "2025-07-01",
        "--period",
        "quarter",
        "--by",
        "Plan",
    ).json
    assert [(g["key"]["Plan"], g["key"]["period"]) for g in series["groups"]][:2] == [
        ("Basic", "2025-Q1"),
        ("Basic", "2025-Q2"),
    ]
    assert series["groups"][1]["change"]["vs"] == "2025-Q1"


def test_windowed_kpis_read_stdin_twice_for_the_default_window(cx):
    piped = cx("churn", "-", *CHURN, input=Path(CUSTOMERS).read_text()).json
    direct = cx("churn", CUSTOMERS, *CHURN).json
    assert piped["value"] == direct["value"] and piped["inputs"][0]["path"] == "-"
    assert piped["inputs"][0]["rows"] == 2000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["churn", CUSTOMERS, "--since", "2025-01-01"], "No such option"),
        (["churn", CUSTOMERS, "--from", "2025-01-01"], "give both --from and --to"),
        (["churn", CUSTOMERS, "--from", "2025-02-01", "--to", "2025-01-01"], "--from must be"),
        (["clv", ORDERS], "--lifespan YEARS or --annual-churn RATE"),
        (["cac", "--spend", SPEND], "needs --customers FILE"),
        (["arpu", ORDERS, "--from", "yesterday", "--to", "2025-01-01"], "is not a date"),
    ],
)
def test_windowed_usage_errors(cx, args, message):
    result = cx(*args)
    assert result.exit_code == 2 and message in result.stderr


def test_cac_per_channel_with_channels_missing_on_one_side(cx):
    data = cx(
        "cac",
        "--spend",
        SPEND,
        "--customers",
        CUSTOMERS,
        *ROLE_ARGS["cac"],
        "--channel",
        "Source",
        "-q",
    ).json
    groups = {g["key"]["Source"]: g for g in data["groups"]}
    assert groups["tv"]["value"] is None and groups["tv"]["details"]["spend"] > 0
    assert groups["partner"]["value"] == 0.0 and groups["partner"]["n"] > 0
    total_spend = sum(g["details"]["spend"] for g in data["groups"])
    assert data["details"]["spend"] == pytest.approx(total_spend)
    alone = cx(
        "cac",
        "--spend",
        SPEND,
        "--customers",
        CUSTOMERS,
        *ROLE_ARGS["cac"],
        "--by",
        "Source",
        "-q",
    ).json
    assert [g["value"] for g in alone["groups"]] == [g["value"] for g in data["groups"]]


def test_clv_and_arpu_through_the_cli(cx):
    clv = cx(
        "clv",
        ORDERS,
        *ROLE_ARGS["clv"],
        "--lifespan",
        "3",
        "--margin",
        "0.3",
        "--years",
        "2",
        "-q",
    ).json
    assert clv["definition"] == "clv.lifespan.years" and clv["details"]["years"] == 2.0
    assert clv["quality"]["missing"] == 23  # amounts given as n/a
    arpu = cx("arpu", ORDERS, "-q", "--from", "2025-01-01", "--to", "2025-07-01").json
    assert arpu["params"]["customer"] == "Cust" and arpu["n"] > 0


EVENTS = str(SAMPLE / "events.parquet")
LOYALTY = str(SAMPLE / "loyalty.csv")


def test_mau_exact_and_approx(cx):
    exact = cx("mau", EVENTS, *ROLE_ARGS["mau"], "-q").json
    approx = cx("mau", EVENTS, *ROLE_ARGS["mau"], "--approx", "-q").json
    assert exact["definition"] == "mau.distinct" and exact["ci"] is None
    assert approx["ci"]["low"] <= exact["value"] <= approx["ci"]["high"]
    weekly = cx(
        "mau", EVENTS, "-q", "--from", "2025-03-03", "--to", "2025-03-31", "--period", "week"
    ).json
    assert [g["key"]["period"] for g in weekly["groups"]] == [f"2025-W{w}" for w in range(10, 14)]


def test_redemption_through_the_cli(cx):
    data = cx(
        "redemption",
        LOYALTY,
        *ROLE_ARGS["redemption"],
        "-q",
    ).json
    assert data["definition"] == "redemption.points" and data["quality"]["invalid"] == 0
    assert data["details"]["points_adjusted"] != 0  # adjust rows: a category, not invalid
    signed = cx(
        "redemption",
        LOYALTY,
        "--member",
        "member",
        "--points",
        "pts",
        "--time",
        "at",
        "-q",
        "--where",
        "kind != 'adjust'",
    ).json
    assert signed["definition"] == "redemption.points"  # the kind column is found by alias


def test_output_to_a_device_writes_in_place(cx, write_csv):
    """Renaming over /dev/null would replace the device with a file."""
    result = cx("nps", str(write_csv("s.csv", SMALL)), "-q", "-o", "/dev/null")
    assert result.exit_code == 0
    assert Path("/dev/null").is_char_device()


def test_option_help_is_never_eaten_as_markup(cx):
    """rich reads `[…]` in help text as a style tag and drops it: help texts use (…)."""
    from cxcli.definition import option_fields
    from cxcli.registry import all_kpis

    for cls in all_kpis().values():
        for f in option_fields(cls):
            assert "[" not in f.metadata.get("help", ""), (cls.name, f.name)
    assert "(default: top-2-box)" in cx("csat", "--help", env={"COLUMNS": "200"}).stdout
