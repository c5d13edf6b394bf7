"""Each tool's export, as a new user would point cx at it: the true number (computed here with
pandas from the file, with this file's own label maps) with no more than a human would name."""

from __future__ import annotations

import datetime as dt

import exports
import pandas as pd
import pytest
from exports import read_rows, workbook


def nps_of(scores: pd.Series) -> float:
    s = pd.to_numeric(scores, errors="coerce").dropna()
    return 100 * ((s >= 9).sum() - (s <= 6).sum()) / len(s)


def top_boxes(scores: pd.Series, top: list[int]) -> float:
    s = scores.dropna()
    return 100 * s.isin(top).mean()


@pytest.fixture
def qualtrics(tmp_path):
    values = exports.qualtrics(tmp_path)
    text = exports.qualtrics(tmp_path, choice_text=True)
    frame = pd.read_csv(values, skiprows=[1, 2])  # what qualtRics does: 3 header rows
    return values, text, frame


def test_qualtrics_values_and_choice_text_give_the_true_numbers(cx, qualtrics):
    values, text, frame = qualtrics
    for path in (values, text):
        nps = cx("nps", str(path))
        assert nps.exit_code == 0, nps.stderr
        assert nps.json["value"] == pytest.approx(nps_of(frame["Q1"]))
        assert nps.json["quality"]["rows"] == 160  # respondents, not header rows
        assert nps.json["quality"]["invalid"] == 0
        assert "using column 'Q1' for --score (the question 'How likely" in nps.stderr
        csat = cx("csat", str(path), "-q")
        assert csat.json["value"] == pytest.approx(top_boxes(frame["Q2"], [4, 5]))
        ces = cx("ces", str(path), "-q")
        assert ces.json["value"] == pytest.approx(frame["Q3"].mean())
        assert ces.json["n"] == frame["Q3"].notna().sum()
    choice = cx("csat", str(text)).stderr
    assert "'Q2' holds 5-point satisfaction labels" in choice and "read as 1-5" in choice


def test_qualtrics_question_text_names_a_column(cx, qualtrics):
    values, _, _ = qualtrics
    by_text = cx("csat", str(values), "--score", exports.CSAT_QUESTION, "-q")
    by_id = cx("csat", str(values), "--score", "Q2", "-q")
    assert by_text.exit_code == 0 and by_text.json["value"] == by_id.json["value"]
    inspect = cx("inspect", str(values), "--json").json[0]
    assert inspect["layout"] == "Qualtrics export (3 header rows)"
    columns = {c["name"]: c for c in inspect["columns"]}
    assert columns["Q4"]["label"] == exports.COMMENT_QUESTION  # the line break kept
    assert "nps --score" in columns["Q1"]["roles"] and not columns["Q1_NPS_GROUP"]["roles"]


def test_qualtrics_as_an_excel_workbook(cx, qualtrics, tmp_path):
    values, text, _ = qualtrics
    book = workbook(tmp_path / "q.xlsx", read_rows(text), sheet="Responses", before=1)
    result = cx("csat", str(book), "--sheet", "Responses", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.json["value"] == cx("csat", str(values), "-q").json["value"]
    assert result.json["quality"]["rows"] == 160
    missing = cx("csat", str(book), "-q")  # the first sheet holds notes
    assert missing.exit_code == 2 and "choose one with --sheet" in missing.stderr


def test_surveymonkey(cx, tmp_path):
    path = exports.surveymonkey(tmp_path)
    frame = pd.read_csv(path, skiprows=[1])
    nps = cx("nps", str(path))
    assert nps.exit_code == 0, nps.stderr
    assert nps.json["value"] == pytest.approx(nps_of(frame[exports.SM_NPS]))
    labels = {label: i + 1 for i, label in enumerate(exports.SATISFACTION_SM)}
    sat = frame[exports.SM_CSAT].map(labels)
    result = cx("csat", str(path), "--period", "month", "--time", "End Date", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.json["value"] == pytest.approx(top_boxes(sat, [4, 5]))
    months = pd.to_datetime(frame["End Date"], format="%m/%d/%Y %I:%M:%S %p").dt.strftime("%Y-%m")
    truth = sat.groupby(months).apply(lambda s: top_boxes(s, [4, 5]))
    got = {g["key"]["period"]: g["value"] for g in result.json["groups"]}
    assert got == pytest.approx(truth.to_dict())
    init = cx("init", str(path), "-o", str(tmp_path / "cx.toml"))
    assert init.exit_code == 0, init.stderr
    inspect = cx("inspect", str(path), "--json").json[0]
    names = [c["name"] for c in inspect["columns"]]
    assert f"{exports.SM_CHANNELS} - Chat" in names and "" not in names


def test_delighted_times_with_a_space_before_the_offset(cx, tmp_path):
    path = exports.delighted(tmp_path)
    frame = pd.read_csv(path)
    result = cx("nps", str(path), "--period", "week", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.json["quality"]["invalid"] == 0
    weeks = pd.to_datetime(frame["Created At"], format="%Y-%m-%d %H:%M:%S %z", utc=True)
    labels = weeks.dt.strftime("%G-W%V")
    truth = frame["Score"].groupby(labels).apply(nps_of)
    got = {g["key"]["period"]: g["value"] for g in result.json["groups"]}
    assert got == pytest.approx(truth.to_dict())


def test_zendesk(cx, tmp_path):
    path = exports.zendesk(tmp_path)
    frame = pd.read_csv(path)
    csat = cx("csat", str(path), "-q")
    answered = frame["Satisfaction Score"].map({"Good": 2, "Bad": 1})  # Offered: no answer
    assert csat.json["value"] == pytest.approx(top_boxes(answered, [2]))
    assert csat.json["quality"]["missing"] == answered.isna().sum()
    assert csat.json["params"]["scale"] == "1-2"
    art = cx("art", str(path), "-q")
    created = pd.to_datetime(frame["Created at"], utc=True, format="%Y-%m-%d %H:%M:%S %z")
    solved = pd.to_datetime(frame["Solved at"], utc=True, format="%Y-%m-%d %H:%M:%S %z")
    assert art.json["value"] == pytest.approx((solved - created).dt.total_seconds().mean())
    minutes = cx("aht", str(path), "--handle", "Full resolution time in minutes")
    assert minutes.json["value"] == pytest.approx(
        frame["Full resolution time in minutes"].mean() * 60
    )
    assert "numbers read as minutes, as its name says" in minutes.stderr


def test_freshdesk(cx, tmp_path):
    path = exports.freshdesk(tmp_path)
    frame = pd.read_csv(path)
    tracked = cx("aht", str(path), "--handle", "Time tracked")
    hours, minutes = frame["Time tracked"].str.split(":", expand=True).astype(int).T.values
    assert tracked.json["value"] == pytest.approx((hours * 3600 + minutes * 60).mean())
    assert "Freshdesk ticket export (profile freshdesk): --clock hh:mm" in tracked.stderr
    unaided = cx("aht", str(path), "--handle", "Time tracked", "--profile", "none")
    assert unaided.json["value"] == tracked.json["value"]  # the header says hh:mm too
    assert "clock times like" in unaided.stderr and "read as hh:mm" in unaided.stderr
    in_hours = cx("aht", str(path), "--handle", "Resolution time (in hrs)", "-q")
    assert in_hours.json["value"] == pytest.approx(frame["Resolution time (in hrs)"].mean() * 3600)
    survey = frame["Survey results"].map(
        {label: i + 1 for i, label in enumerate(exports.FRESHDESK_SURVEY)}
    )
    csat = cx("csat", str(path), "--score", "Survey results", "-q")
    assert csat.json["value"] == pytest.approx(top_boxes(survey, [3]))


def test_call_log_uses_the_total_and_reports_the_components(cx, tmp_path):
    path = exports.call_log(tmp_path)
    frame = pd.read_csv(path)
    result = cx("aht", str(path))
    assert result.exit_code == 0, result.stderr
    answered = frame[frame["ABANDONED"] == 0]
    handle = pd.to_timedelta(answered["HANDLE TIME"]).dt.total_seconds()
    talk = pd.to_timedelta(answered["TALK TIME"]).dt.total_seconds()
    assert result.json["definition"] == "aht.duration"
    assert result.json["value"] == pytest.approx(handle.mean())
    assert result.json["details"]["talk_mean"] == pytest.approx(talk.mean())
    assert result.json["quality"]["filtered_out"] == (frame["ABANDONED"] == 1).sum()
    assert "answered calls only (ABANDONED = 0)" in result.stderr
    unaided = cx("aht", str(path), "--profile", "none")  # abandoned calls: no handle time
    assert unaided.json["value"] == result.json["value"]
    assert unaided.json["quality"]["missing"] == (frame["ABANDONED"] == 1).sum()
    assert "using column 'HANDLE TIME' for --handle" in unaided.stderr
    typed = [read_rows(path)[0]]
    for row in read_rows(path)[1:]:
        clocks = [_delta(t) for t in row[4:10]]
        typed.append([row[0], dt.date.fromisoformat(row[1]), row[2], row[3], *clocks, int(row[10])])
    book = workbook(tmp_path / "calls.xlsx", typed)
    assert cx("aht", str(book), "-q").json["value"] == pytest.approx(handle.mean())


def _delta(text: str) -> dt.timedelta | None:
    if not text:
        return None
    h, m, s = map(int, text.split(":"))
    return dt.timedelta(hours=h, minutes=m, seconds=s)


def _mau(times: pd.Series, users: pd.Series) -> tuple[int, str]:
    """Distinct users in the last complete month before the latest time."""
    latest = times.max()
    end = pd.Timestamp(latest.year, latest.month, 1, tz="UTC")
    start = end - pd.offsets.MonthBegin(1)
    inside = (times >= start) & (times < end) & users.notna()
    return users[inside].nunique(), start.strftime("%Y-%m-%d")


@pytest.mark.parametrize("array", [False, True])
def test_amplitude_events(cx, tmp_path, array):
    path = exports.amplitude(tmp_path, array=array)
    frame = pd.read_json(path, lines=not array, dtype={"user_id": str})
    times = pd.to_datetime(frame["event_time"], utc=True)
    result = cx("mau", str(path), "-q")
    assert result.exit_code == 0, result.stderr
    mau, start = _mau(times, frame["user_id"])
    assert (result.json["value"], result.json["params"]["from"]) == (mau, start)
    assert result.json["inputs"][0]["format"] == "json"


def test_mixpanel_and_epoch_milliseconds(cx, tmp_path):
    path = exports.mixpanel(tmp_path)
    frame = pd.json_normalize(pd.read_json(path, lines=True)["properties"])
    result = cx("mau", str(path))
    assert result.exit_code == 0, result.stderr
    assert "times read as epoch s" in result.stderr
    times = pd.to_datetime(frame["time"], unit="s", utc=True)
    assert result.json["value"] == _mau(times, frame["distinct_id"])[0]
    events = exports.events_epoch_ms(tmp_path)
    frame = pd.read_csv(events)
    result = cx("mau", str(events), "-q")
    times = pd.to_datetime(frame["timestamp"], unit="ms", utc=True)
    assert result.json["value"] == _mau(times, frame["user_id"])[0]


def test_a_question_found_by_wording_is_never_a_silent_pick(cx, write_csv):
    path = write_csv(
        "two.csv",
        "Respondent,How satisfied were you with the agent?,How satisfied are you overall?\n"
        "1,5,4\n2,3,2\n",
    )
    result = cx("csat", str(path), "-q")
    assert result.exit_code == 2
    assert "several columns could be --score: 'How satisfied were you with the agent?'" in (
        result.stderr
    )
    chosen = cx("csat", str(path), "--score", "How satisfied are you overall?", "-q")
    assert chosen.exit_code == 0 and chosen.json["value"] == 50.0


def test_help_lists_the_new_options(cx, tmp_path):
    aht = cx("aht", "--help", env={"COLUMNS": "200"}).stdout
    for flag in ("--handle", "--duration", "--unit", "--clock", "--sheet", "--header-rows"):
        assert flag in aht
    assert "--labels" in cx("csat", "--help", env={"COLUMNS": "200"}).stdout
    legacy = cx("aht", str(exports.call_log(tmp_path)), "--duration", "HANDLE TIME", "-q")
    assert legacy.exit_code == 0 and legacy.json["params"]["handle"] == "HANDLE TIME"


MAY = ["--from", "2025-05-01", "--to", "2025-06-01"]


def test_stripe_customers_not_subscriptions(cx, tmp_path):
    """By hand (tests/exports.py, STRIPE_ROWS), May 2025: active on 1 May A, B, D, I, J
    (S = 5); on 1 June A, C, D, E, F, J (E = 6); lost B (ended 15 May) and I (31 May); new E
    and F (paid from its trial's end, 9 May); C came back (a win-back); D left and came back
    within the month (still a customer); G never paid, H never started, K is in its trial.
    MRR on 1 May: A 50 + B 40 + D 30 + I 1200/12 + J 30/3 = 230; lost B 40 + I 100 = 140."""
    path = exports.stripe(tmp_path)
    churn = cx("churn", str(path), *MAY)
    assert churn.exit_code == 0, churn.stderr
    details = churn.json["details"]
    assert {k: details[k] for k in ("S", "L", "N", "E", "reactivated")} == {
        "S": 5,
        "L": 2,
        "N": 2,
        "E": 6,
        "reactivated": 1,
    }
    assert churn.json["value"] == pytest.approx(40.0)
    assert details["revenue_churn"] == pytest.approx(100 * 140 / 230)
    assert details["customers"] == 9  # G and H were never customers
    assert "--end 'Ended At (UTC)' (when access ended; 'Canceled At (UTC)'" in churn.stderr
    retention = cx("retention", str(path), *MAY, "-q")
    assert retention.json["value"] == pytest.approx(60.0)  # (E − N − returning) / S
    trials = cx("churn", str(path), *MAY, "--count-trials", "-q").json
    # trials from their start: F active on 1 May, G too and lost, K new
    assert {k: trials["details"][k] for k in "SLNE"} == {"S": 7, "L": 3, "N": 2, "E": 7}
    plain = cx("churn", str(path), *MAY, "--profile", "none", "-q")
    assert plain.exit_code == 2
    assert (
        "several columns could be --end: 'Canceled At (UTC)': when the customer asked to "
        "cancel, 'Ended At (UTC)': when the subscription ended" in plain.stderr
    )
