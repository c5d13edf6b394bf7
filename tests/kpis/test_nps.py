"""NPS against hand-computed cases and its edges."""

from __future__ import annotations

import math

import pytest

from cxcli.kpis.nps import Nps


def test_counts_and_value():
    # promoters 9,10,10 ; passives 7,8 ; detractors 0,6  -> (3-2)/7
    est = Nps().compute({"score": [9, 10, 10, 7, 8, 0, 6]})
    assert est.value == pytest.approx(100 / 7)
    assert (est.details["promoters"], est.details["passives"], est.details["detractors"]) == (
        3,
        2,
        2,
    )
    assert est.n == 7
    assert est.details["pct_passives"] == pytest.approx(200 / 7)


def test_adjusted_wald_interval_by_hand():
    # n=4, P=2, D=1: n'=7, p'=2.75/7, d'=1.75/7
    est = Nps().compute({"score": [10, 9, 8, 3]})
    p, d = 2.75 / 7, 1.75 / 7
    se = math.sqrt((p + d - (p - d) ** 2) / 7)
    assert est.ci == pytest.approx(
        (100 * (p - d - 1.959963985 * se), 100 * (p - d + 1.959963985 * se))
    )


def test_interval_is_clamped_and_narrows_with_confidence():
    est = Nps().compute({"score": [10] * 5})
    assert est.value == 100.0 and est.ci[1] == 100.0
    wide = Nps().compute({"score": [10, 0, 7] * 20}, confidence=0.99).ci
    narrow = Nps().compute({"score": [10, 0, 7] * 20}, confidence=0.80).ci
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("9", True),
        ("9.0", True),
        (" 10 ", True),
        ("0", True),
        ("9.5", False),
        ("11", False),
        ("-1", False),
        ("ten", False),
        ("1,5", False),
    ],
)
def test_score_validity(raw, valid):
    est = Nps().compute({"score": [raw]})
    assert (est.n == 1) is valid


def test_missing_spellings_are_not_invalid():
    nps = Nps()
    parsed = nps.parse({"score": __import__("pyarrow").array(["", "NA", "n/a", None, "9"])})
    missing, invalid = nps.row_status(parsed)
    assert missing.tolist() == [True, True, True, True, False]
    assert not invalid.any()


def test_empty_and_all_missing_give_null_value_with_a_note():
    for values in ([], [None, None]):
        est = Nps().compute({"score": values})
        assert est.value is None and est.n == 0 and est.ci is None
        assert est.notes


def test_single_row():
    est = Nps().compute({"score": [6]})
    assert est.value == -100.0 and est.n == 1
    assert est.ci is not None and -100 <= est.ci[0] < est.ci[1] < 100


def test_all_passives_is_zero():
    assert Nps().compute({"score": [7, 8, 8]}).value == 0.0


def test_compare_significance():
    nps = Nps()
    low = nps.update(nps.init(), {"score": __import__("numpy").array([0] * 50 + [10] * 50)})
    high = nps.update(nps.init(), {"score": __import__("numpy").array([10] * 90 + [0] * 10)})
    test = nps.compare(low, high, 0.95)
    # pooled p = .7, d = .3: var = (1 − .4²) · 2/100, z = .8 / √.0168
    assert test.method == "pooled_z"
    assert test.p_value == pytest.approx(math.erfc(0.8 / math.sqrt(0.0168) / math.sqrt(2)))
    assert nps.compare(low, low, 0.95).p_value == pytest.approx(1.0)
    assert nps.compare(nps.init(), high, 0.95) is None
