"""The --where grammar: parsing, SQL three-valued logic, errors, and nothing executed."""

from __future__ import annotations

import contextlib

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcli.errors import UsageError
from cxcli.where import columns_of, evaluate, parse_where

COLUMNS = {
    "Region": pa.array(["EMEA", "NA", None, "APAC"]),
    "score": pa.array(["9", "x", "7", None]),
    "n": pa.array([1, 2, 3, None]),
    "Submitted At": pa.array(["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]),
}


def rows(expr: str) -> list[int]:
    mask = evaluate(parse_where(expr), COLUMNS, 4)
    return [i for i, keep in enumerate(mask) if keep]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("Region = 'EMEA'", [0]),
        ("Region == 'EMEA'", [0]),
        ("Region != 'EMEA'", [1, 3]),  # null is unknown, so left out
        ("Region <> 'EMEA'", [1, 3]),
        ("score >= 7", [0, 2]),  # 'x' is not a number: unknown
        ("not score >= 8", [2]),
        ("Region in ('NA', 'APAC')", [1, 3]),
        ("Region not in ('NA')", [0, 3]),
        ("Region is null", [2]),
        ("Region is not null and n > 1", [1]),
        ("n in (1, 3)", [0, 2]),
        ("not (n = 2 or Region = 'EMEA')", []),
        ("n < 2 or score = 7", [0, 2]),
        ("\"Submitted At\" >= '2025-02-01'", [1, 2, 3]),
        ("(Region = 'EMEA' or Region = 'NA') and n >= 1", [0, 1]),
        ("n = -1", []),
        ("score = '9'", [0]),
        ("Region = 'it''s'", []),
        ("NOT Region IS NULL", [0, 1, 3]),
    ],
)
def test_filters(expr, expected):
    assert rows(expr) == expected


def test_columns_of():
    node = parse_where("\"Submitted At\" > '2025' and n = 1 or n = 2")
    assert columns_of(node) == ["Submitted At", "n"]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("score >", "expected a column name or a value at the end"),
        ("score = = 1", "position 9"),
        ("a == 1 garbage", "unexpected 'garbage'"),
        ("__import__('os').system('id')", "unexpected character"),
        ("a.b() = 1", "expected a comparison"),
        ("x in ()", "expected a column name or a value"),
        ("a = 'open", "unexpected character"),
        ("(" * 60 + "a = 1" + ")" * 60, "nested deeper"),
        ("not " * 100_000 + "a = 1", "longer than"),
        ("", "empty"),
        ("a = 1 or", "at the end"),
        ("@pd.io.common.os.makedirs('/tmp/x') == 1", "unexpected character"),
    ],
)
def test_errors_are_usage_errors(expr, message):
    with pytest.raises(UsageError, match="--where") as info:
        parse_where(expr)
    assert message in str(info.value)


@given(st.text(max_size=200))
def test_any_text_parses_or_fails_cleanly(text):
    with contextlib.suppress(UsageError):
        parse_where(text)


names = st.sampled_from(["Region", "score", "n"])
literals = st.one_of(
    st.integers(-5, 15).map(str), st.sampled_from(["'EMEA'", "'NA'", "'x'", "'9'"])
)
atoms = st.one_of(
    st.builds(
        lambda c, op, v: f"{c} {op} {v}", names, st.sampled_from(["=", "!=", "<", ">="]), literals
    ),
    st.builds(lambda c: f"{c} is null", names),
    st.builds(lambda c, v: f"{c} in ({v}, {v})", names, literals),
)
exprs = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=8,
)


@given(exprs)
def test_not_is_the_complement_of_known_rows(expr):
    """x and (not x) never both hold; with no nulls in play they partition the rows."""
    yes = set(rows(expr))
    no = set(rows(f"not ({expr})"))
    assert not yes & no


def test_huge_literals_unicode_names_and_deep_nesting():
    columns = {"Région": pa.array(["Île", "x"]), "n": pa.array([1, 2])}
    assert evaluate(parse_where("Région = 'Île'"), columns, 2).tolist() == [True, False]
    assert evaluate(parse_where("\"Région\" in ('x')"), columns, 2).tolist() == [False, True]
    with pytest.raises(UsageError, match="longer than"):
        parse_where("n = '" + "x" * 1_000_000 + "'")
    with pytest.raises(UsageError, match="nested deeper"):
        parse_where("not " * 60 + "n = 1")
    assert evaluate(parse_where("n = " + "9" * 400), columns, 2).tolist() == [False, False]
