"""cx themes: planted themes found on a constructed corpus, the z-score by hand, phrases and
their words, the sketch's merges, the command and its states."""

from __future__ import annotations

import math
import pickle
import random

import numpy as np
import pytest
from conftest import SAMPLE

from cxcli.kpis.themes import PRIOR, Themes, _z, terms_of


def corpus(seed: int = 3) -> list[str]:
    """Negative comments about refunds and hold times, positive ones about the app, over a
    shared background vocabulary."""
    rng = random.Random(seed)
    background = ["order", "account", "delivery", "email", "website", "price", "product", "store"]
    texts = []
    for i in range(600):
        filler = " ".join(rng.choice(background) for _ in range(4))
        if i % 2:
            gripe = rng.choice(["refund never arrived", "long hold time"])
            texts.append(f"terrible, {gripe}, {filler}")
        else:
            texts.append(f"great, love the new app, {filler}")
    return texts


def test_planted_themes_come_first_and_background_is_not_a_theme():
    est = Themes(terms=6).compute({"text": corpus()})
    themes = est.details["themes"]
    negative = [t["term"] for t in themes if t["side"] == "negative"]
    positive = [t["term"] for t in themes if t["side"] == "positive"]
    assert {"refund never", "hold time", "terrible"} <= set(negative)
    assert "refund" not in negative  # mostly inside "refund never": said once
    assert {"new app", "love"} <= set(positive)
    background = {"order", "account", "delivery", "email", "website", "price", "product", "store"}
    for theme in themes:  # chance differences in the filler: never significant
        if background & set(theme["term"].split()):
            assert abs(theme["z"]) < 1.96, theme
        else:
            assert abs(theme["z"]) > 3, theme
    assert negative[:5] == ["terrible", "never arrived", "refund never", "hold time", "long hold"]


def test_z_by_hand():
    ya, yb, na, nb = 30, 5, 1000, 2000
    prior = PRIOR * (ya + yb) / (na + nb)
    a = math.log((ya + prior) / (na + PRIOR - ya - prior))
    b = math.log((yb + prior) / (nb + PRIOR - yb - prior))
    expected = (a - b) / math.sqrt(1 / (ya + prior) + 1 / (yb + prior))
    assert _z(ya, yb, na, nb) == pytest.approx(expected)
    assert _z(5, 30, 2000, 1000) == pytest.approx(-_z(30, 5, 1000, 2000))


def test_terms_phrases_and_stop_words():
    assert terms_of("The refund never arrived. So slow!") == [
        "refund", "never", "arrived", "refund never", "never arrived", "slow",
    ]  # fmt: skip
    assert terms_of("I've been waiting, and waiting") == ["waiting", "waiting"]


def test_a_word_inside_a_phrase_of_its_side_is_not_shown_again():
    est = Themes(terms=10).compute({"text": corpus()})
    negative = [t["term"] for t in est.details["themes"] if t["side"] == "negative"]
    assert "hold time" in negative and "hold" not in negative and "time" not in negative


def test_merges_are_the_whole_in_any_order():
    texts = np.array(corpus(), dtype=object)
    kpi = Themes()
    parts = [kpi.compute({"text": list(texts[i::3])}) for i in range(3)]
    assert sum(p.n for p in parts) == kpi.compute({"text": list(texts)}).n
    parsed = kpi.parse({"text": __import__("pyarrow").array(list(texts))})
    values = {k: p.values for k, p in parsed.items()}
    whole = kpi.update(kpi.init(), values)
    pieces = [kpi.update(kpi.init(), {k: v[i::2] for k, v in values.items()}) for i in range(2)]
    for merged in (kpi.merge(*pieces), kpi.merge(*pieces[::-1])):
        assert kpi.finalize(merged).details == kpi.finalize(whole).details
    again = pickle.loads(pickle.dumps(whole))
    assert kpi.finalize(again).details == kpi.finalize(whole).details


def test_the_command_on_the_samples_by_nps_category(cx):
    for name in ("survey.csv", "survey.parquet"):
        args = ["themes", str(SAMPLE / name), "--text", "Comment", "--score", "LTR", "-q"]
        data = cx(*args, "--kpi", "nps", "-f", "json").json
        assert data["details"]["sides"] == ["detractor", "promoter"]
        top = next(t for t in data["details"]["themes"] if t["side"] == "detractor")
        assert top["z"] > 3 and top["count_a"] > top["count_b"]
        table = cx(*args, "-f", "table").stdout
        assert "in detractor" in table and top["term"] in table


def test_themes_states_merge(tmp_path, cx):
    path = tmp_path / "c.csv"
    path.write_text("comment\n" + "\n".join(f'"{t}"' for t in corpus()) + "\n")
    args = ["themes", str(path), "-q", "-f", "json"]
    state = str(tmp_path / "t.state")
    assert cx(*args, "--emit-state", state).exit_code == 0
    assert cx("merge", state, "-f", "json").json == cx(*args).json


def _segment_file(tmp_path) -> str:
    """Comments of two stores: Leeds's gripe about parking, a background both share; the
    segment's comments are as positive as the rest's, so only --segment can tell them apart."""
    rng = random.Random(5)
    lines = ["store,comment"]
    for i in range(400):
        store = "Leeds" if i % 4 == 0 else rng.choice(["York", "Hull", ""])
        filler = " ".join(rng.choice(["order", "staff", "price", "product"]) for _ in range(3))
        extra = "no parking spaces" if store == "Leeds" else "quick checkout"
        lines.append(f'{store},"great shop, {extra}, {filler}"')
    path = tmp_path / "stores.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_one_segment_against_the_rest(cx, tmp_path):
    path = _segment_file(tmp_path)
    data = cx("themes", path, "--text", "comment", "--segment", "store = 'Leeds'", "-q").json
    details = data["details"]
    assert details["sides"] == ["segment", "rest"]
    assert details["comments"] == {"segment": 100, "rest": 300}  # an empty store is the rest
    segment = [t["term"] for t in details["themes"] if t["side"] == "segment"]
    rest = [t["term"] for t in details["themes"] if t["side"] == "rest"]
    assert segment[0] in ("parking spaces", "no parking") and "parking" not in segment
    assert rest[0] == "quick checkout"
    assert data["params"]["segment"] == "store = 'Leeds'"
    table = cx(
        "themes", path, "--text", "comment", "--segment", "store = 'Leeds'", "-q", "-f", "table"
    )
    assert "in segment" in table.stdout and "in rest" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--segment", "shop = 'Leeds'"], "column 'shop' (--segment) not found"),
        (["--segment", "store ="], "--segment: expected a column name or a value"),
        (["--segment", "store = 'Leeds'", "--kpi", "nps"], "--segment and --kpi each choose"),
    ],
)
def test_segment_errors_say_what_to_do(cx, tmp_path, args, message):
    result = cx("themes", _segment_file(tmp_path), "--text", "comment", *args, "-q")
    assert result.exit_code == 2 and message in result.stderr


def test_markdown_lists_the_themes_and_the_quotes(cx):
    survey = str(SAMPLE / "survey.csv")
    md = cx("themes", survey, "--text", "Comment", "--terms", "2", "-q", "-f", "markdown").stdout
    assert "| side | term | z | in negative | in positive |" in md
    assert "|---|---|---:|---:|---:|" in md
    args = ["sentiment", survey, "--text", "Comment", "--score", "LTR", "--examples", "2", "-q"]
    md = cx(*args, "-f", "markdown").stdout
    assert "**promoter answers with negative comments" in md
    assert "> “Great product, but delivery was late and the box was damaged”" in md
