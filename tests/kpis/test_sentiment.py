"""cx sentiment: VADER compound scores counted into positive / neutral / negative, against
hand-computed cases; empty and non-English text; merges; the command on the samples."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from conftest import SAMPLE
from hypothesis import given
from hypothesis import strategies as st

from cxcli.kpis.sentiment import NEG, NEU, POS, Sentiment, is_english, score_texts
from cxcli.stats import nps_interval, wilson

POSITIVE = ["Great support, thanks!", "I love this product", "The agent was very helpful"]
NEGATIVE = ["Terrible service, never again.", "I hate waiting on hold", "awful and rude agent"]
NEUTRAL = ["It was delivered on Tuesday.", "My order arrived on Tuesday."]


def test_known_polarity_sentences():
    scores = score_texts(POSITIVE + NEGATIVE + NEUTRAL)
    assert all(s >= 500 for s in scores[:3])
    assert all(s <= -500 for s in scores[3:6])
    assert all(-500 < s < 500 for s in scores[6:])


def test_counts_value_and_intervals_by_hand():
    texts = POSITIVE + NEGATIVE[:1] + NEUTRAL  # 3 positive, 1 negative, 2 neutral
    est = Sentiment().compute({"text": texts})
    d = est.details
    assert (d["positive"], d["neutral"], d["negative"]) == (3, 2, 1) and est.n == 6
    assert est.value == pytest.approx(100 * (3 - 1) / 6)
    assert est.ci == pytest.approx(nps_interval(3, 1, 6, 0.95))
    assert d["ci_positive"] == pytest.approx(wilson(3, 6, 0.95))
    compounds = [s / 10_000 for s in score_texts(texts)]
    assert d["mean_compound"] == pytest.approx(np.mean(compounds))
    assert sum(d["distribution"].values()) == 6


def test_the_thresholds_are_inclusive():
    """Compound exactly ±0.05 is positive / negative (VADER's own rule)."""
    kpi = Sentiment()
    state = kpi.update(kpi.init(), {"text": np.array([500, -500, 499, -499, 10_000, -10_000])})
    assert (state.counts[POS], state.counts[NEG], state.counts[NEU]) == (2, 2, 2)
    dist = kpi.finalize(state).details["distribution"]
    assert dist["-1.0"] == 1 and dist["0.9"] == 1  # -1 and +1 in the end bins


def test_empty_text_is_missing_and_foreign_text_invalid():
    kpi = Sentiment()
    text = pa.array(["Great!", "", "   \n", None, "Muy mal servicio, nunca más", "非常好，谢谢"])
    parsed = kpi.parse({"text": text})["text"]
    assert parsed.missing.tolist() == [False, True, True, True, False, False]
    assert parsed.invalid.tolist() == [False, False, False, False, True, True]


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Das war wirklich schlecht", False),  # "war" is an English word in VADER's lexicon
        ("Le service était vraiment nul", False),
        ("Great support, thanks!", True),  # no function word of either: scored
        ("quick delivery, great price", True),
        ("Não gostei do atendimento", False),  # "do" is English too: one each
        ("Het was niet goed", False),  # Dutch "was" too: 3 to 1
        ("Slow, but solved", True),
        ("ok", True),  # too short to tell: scored
        ("Спасибо за помощь", False),
    ],
)
def test_english_detection(text, english):
    assert is_english(text) is english


def test_a_mostly_foreign_column_gives_no_number(tmp_path, cx):
    path = tmp_path / "c.csv"
    path.write_text("comment\n" + '"Muy mal servicio, nunca más"\n' * 3 + "Great support!\n")
    run = cx("sentiment", str(path), "-f", "json", "-q")
    assert run.exit_code == 2 and "3 of the 4 values read (75%) are invalid" in run.stderr
    lenient = cx("sentiment", str(path), "-f", "json", "-q", "--max-invalid", "100").json
    assert lenient["n"] == 1 and lenient["quality"]["invalid"] == 3
    assert any("not English" in note for note in lenient["notes"])


@given(st.lists(st.integers(-10_000, 10_000), max_size=60), st.integers(0, 60))
def test_states_merge_in_any_order(values, cut):
    kpi = Sentiment()
    a = kpi.update(kpi.init(), {"text": np.array(values[:cut], dtype=np.int64)})
    b = kpi.update(kpi.init(), {"text": np.array(values[cut:], dtype=np.int64)})
    whole = kpi.update(kpi.init(), {"text": np.array(values, dtype=np.int64)})
    assert (kpi.merge(a, b).counts == whole.counts).all()
    assert (kpi.merge(b, a).counts == whole.counts).all()


def test_groups_are_the_rows_of_each_group():
    kpi = Sentiment()
    values = np.array([900, -900, 0, 600, -100, 5000])
    groups = np.array([0, 1, 0, 2, 1, 0])
    states = kpi.update_groups({"text": values}, groups, 3)
    for g in range(3):
        alone = kpi.update(kpi.init(), {"text": values[groups == g]})
        assert (states[g].counts == alone.counts).all()


def test_mean_compound_interval_is_student_t():
    kpi = Sentiment()
    values = np.array([9000, -2000, 4000, 0, 6000])
    est = kpi.finalize(kpi.update(kpi.init(), {"text": values}))
    x = values / 10_000
    half = 2.7764451 * x.std(ddof=1) / math.sqrt(5)
    assert est.details["mean_compound_ci"] == pytest.approx((x.mean() - half, x.mean() + half))


def test_change_between_periods_is_the_nps_test():
    """Net sentiment is a difference of two shares, as NPS is: the same calibrated test."""
    from cxcli.stats import nps_change_test

    kpi = Sentiment()
    for k in (1, 4):  # few answers: the exact test; more: the pooled z test
        before = kpi.update(kpi.init(), {"text": np.array([900] * 30 + [0] * 10 + [-900] * 10)})
        after = kpi.update(kpi.init(), {"text": np.array([900] * 20 + [0] * 10 + [-900] * 20)})
        before.counts, after.counts = before.counts * k, after.counts * k
        test = kpi.compare(before, after, 0.95)
        assert test == nps_change_test((30 * k, 20 * k), (10 * k, 20 * k), (50 * k, 50 * k), 0.95)
    assert test.method == "pooled_z" and test.p_value < 0.05


@pytest.mark.parametrize("name", ["survey.csv", "survey.parquet"])
def test_the_command_counts_every_comment_of_the_samples(name, cx):
    """Each distinct comment of the file scored on its own: the command's counts."""
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path = SAMPLE / name
    table = pq.read_table(path) if name.endswith("parquet") else pcsv.read_csv(path)
    comments = [c for c in table.column("Comment").to_pylist() if c and c.strip()]
    scores = score_texts(comments)
    data = cx("sentiment", str(path), "--text", "Comment", "-q", "-f", "json").json
    assert data["definition"] == "sentiment.vader"
    assert data["details"]["positive"] == sum(s >= 500 for s in scores)
    assert data["details"]["negative"] == sum(s <= -500 for s in scores)
    assert data["n"] == len(comments) and data["quality"]["missing"] == table.num_rows - data["n"]
    assert pc.count(table.column("Comment")).as_py() >= data["n"]


def test_the_python_api():
    import cxcli as cx

    result = cx.sentiment(str(SAMPLE / "survey.csv"), text="Comment", by="Channel")
    assert result.kpi == "sentiment" and len(result.groups) == 4
    assert (
        result.details["positive"] + result.details["neutral"] + result.details["negative"]
        == result.n
    )


# --- split by the categories of a score ----------------------------------------------------


def crosstab_file(tmp_path):
    path = tmp_path / "answers.csv"
    rows = [
        (10, "Great support, thanks!"),
        (9, "Terrible service, never again."),  # a promoter's gripe
        (9, "I love this product"),
        (7, "It was delivered on Tuesday."),
        (3, "awful and rude agent"),
        (2, "The agent was very helpful"),  # a detractor's praise
        (0, ""),
        ("", "I hate waiting on hold"),  # no score: scored, in no category
    ]
    path.write_text("score,comment\n" + "".join(f'{s},"{c}"\n' for s, c in rows))
    return path


def test_sentiment_by_nps_category_with_quotes(tmp_path, cx):
    path = crosstab_file(tmp_path)
    run = cx(
        "sentiment",
        str(path),
        "--score",
        "score",
        "--kpi",
        "nps",
        "--examples",
        "2",
        "-q",
        "-f",
        "json",
    )
    assert run.exit_code == 0, run.stderr
    data = run.json
    assert data["params"]["by"] == ["category"] and data["params"]["score_kpi"] == "nps"
    groups = {g["key"]["category"]: g for g in data["groups"]}
    assert list(groups) == ["detractor", "passive", "promoter", None]
    promoter, detractor = groups["promoter"]["details"], groups["detractor"]["details"]
    assert (promoter["positive"], promoter["negative"]) == (2, 1)
    assert promoter["quotes"]["negative"] == ["Terrible service, never again."]
    assert detractor["quotes"]["positive"] == ["The agent was very helpful"]
    assert groups["detractor"]["quality"]["missing"] == 1  # the 0 with no comment
    assert groups[None]["n"] == 1
    assert sum(g["n"] for g in data["groups"]) == data["n"] == 7
    table = cx(
        "sentiment", str(path), "--score", "score", "--examples", "2", "-f", "table", "-q"
    ).stdout
    assert "promoter answers with negative comments (33.3%)" in table
    assert "“Terrible service, never again.”" in table


@pytest.mark.parametrize(
    ("kpi", "scores", "names"),
    [
        ("csat", [5, 4, 2, 1], ["not satisfied", "satisfied"]),
        ("ces", [7, 4, 1, 5], ["difficult", "easy", "neutral"]),
    ],
)
def test_csat_and_ces_categories(kpi, scores, names, tmp_path, cx):
    path = tmp_path / "a.csv"
    texts = ["Great!", "Terrible.", "I love it", "awful"]
    path.write_text(
        "rating,comment\n" + "".join(f"{s},{t}\n" for s, t in zip(scores, texts, strict=True))
    )
    data = cx("sentiment", str(path), "--score", "rating", "--kpi", kpi, "-q", "-f", "json").json
    assert sorted(g["key"]["category"] for g in data["groups"]) == names
    if kpi == "csat":  # top-2-box of 1-5: 4 and 5 satisfied
        satisfied = next(g for g in data["groups"] if g["key"]["category"] == "satisfied")
        assert satisfied["n"] == 2


def test_a_column_named_score_splits_only_when_named(tmp_path, cx):
    path = crosstab_file(tmp_path)
    data = cx("sentiment", str(path), "-q", "-f", "json").json
    assert data["groups"] == [] and data["params"]["score"] is None
    run = cx("sentiment", str(path), "--kpi", "csat", "-q")
    assert run.exit_code == 2 and "--kpi needs --score" in run.stderr


def test_the_categories_merge_as_states(tmp_path, cx):
    path = crosstab_file(tmp_path)
    args = ["sentiment", str(path), "--score", "score", "--examples", "1", "-q", "-f", "json"]
    state = str(tmp_path / "s.state")
    assert cx(*args, "--emit-state", state).exit_code == 0
    assert cx("merge", state, "-f", "json").json == cx(*args).json


def test_the_mean_compound_interval_stays_within_the_scores():
    kpi = Sentiment()
    est = kpi.finalize(kpi.update(kpi.init(), {"text": np.array([9000, -8000, 7000])}))
    low, high = est.details["mean_compound_ci"]
    assert low == -1.0 and high == 1.0
