"""Themes of free text: the words and two-word phrases most over-represented in negative
against positive comments (VADER, as `cx sentiment` scores them), or with `--score COL` in the
worst against the best category of the score (detractors against promoters).

Each term's log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn
2008, "Fightin' words"): with counts y_a, y_b of a term in sides of n_a, n_b terms, and a prior
α_w = α0 · (y_a + y_b) / (n_a + n_b) from both sides together (α0 = 1,000),

    δ = log((y_a + α_w) / (n_a + α0 − y_a − α_w)) − log((y_b + α_w) / (n_b + α0 − y_b − α_w))
    z = δ / √(1 / (y_a + α_w) + 1 / (y_b + α_w))

so a term used a few times is not ranked above a frequent one by chance. Stop words (English
function words) are left out; a two-word phrase is two neighbouring words within a clause
that are not stop words, and a word mostly used inside a significant phrase of its side is
not shown beside it. Term counts are kept in a frequent-items sketch per side (Apache
DataSketches, 4,096 counters: a count is off by at most 0.09% of the side's terms; the terms
of a side beyond its ~3,000 most frequent are dropped), so memory does not grow with the
vocabulary. The headline is the number
of terms over-represented on the first side at |z| ≥ 1.96.

>>> est = Themes().compute({"text": ["refund late again, terrible", "refund still late, awful",
...                                  "great app", "love the app", "great support"]})
>>> est.details["sides"], [t["term"] for t in est.details["themes"]][:2]
(['negative', 'positive'], ['late', 'refund'])
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Kpi, option
from ..errors import CxError, UsageError
from ..registry import register
from .sentiment import ENGLISH, NEGATIVE, POSITIVE, SCORE, SCORE_KPIS, TEXT, Sentiment

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed
    from ..where import Node

LG_COUNTERS = 12  # 2^12 counters a side
PRIOR = 1_000.0  # α0: the prior's total count
Z = 1.96
STOP = ENGLISH | frozenset(
    ["i've", "i'd", "i'll", "you're", "it's", "don't", "can't", "won't", "didn't", "isn't"]
)
_TERM = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_CLAUSE = re.compile(r"[,.;:!?()\n]+")


def terms_of(text: str) -> list[str]:
    """A comment's words and neighbouring-word phrases (within a clause: not across `,` `.`
    `!` `?` `;` or a line break), stop words left out."""
    out: list[str] = []
    for clause in _CLAUSE.split(text.lower()):
        words = _TERM.findall(clause)
        kept = [w if w not in STOP and len(w) > 1 else None for w in words]
        out += [w for w in kept if w]
        out += [f"{a} {b}" for a, b in itertools.pairwise(kept) if a and b]
    return out


@dataclass
class TermCounts:
    """Term counts of the two sides (sketches), and the comments each side holds."""

    a: Any = None
    b: Any = None
    docs: list[int] = field(default_factory=lambda: [0, 0])


@register
@dataclass(frozen=True)
class Themes(Kpi[TermCounts]):
    """Terms over-represented in negative comments (or in detractors') against the rest."""

    name = "themes"
    title = "Themes"
    value_unit = "count"
    decimals = 0
    indicator = "leading"
    roles = (TEXT, SCORE)
    invalid_rule = Sentiment.invalid_rule
    examples = (
        "cx themes survey.csv --text Comment",
        "cx themes survey.csv --text Comment --score LTR --kpi nps --terms 15",
    )

    score_kpi: str | None = option(
        None,
        "compare the worst and best categories of --score (default: negative and positive text)",
        choices=SCORE_KPIS,
        flags=("--kpi",),
    )
    terms: int = option(10, "terms shown per side")
    segment: str | None = option(
        None,
        "compare the comments of the rows where EXPR holds with the rest's (a --where "
        "expression, e.g. \"Region = 'EMEA'\")",
    )
    reader: Sentiment = field(default_factory=Sentiment, metadata={"cli": False})
    segment_keys: tuple[tuple[str, str], ...] = field(default=(), metadata={"cli": False})

    @property
    def definition(self) -> str:
        return "themes.log_odds_dirichlet"

    def check(self) -> None:
        from ..errors import UsageError

        self.reader.check()
        if self.terms < 1:
            raise UsageError("--terms must be at least 1")
        if self.segment is not None:
            if self.score_kpi is not None:
                raise UsageError("--segment and --kpi each choose the sides: give one")
            self._expression()  # a malformed expression says so before any data is read

    def _expression(self) -> Node:
        from ..where import parse_where

        try:
            return parse_where(self.segment or "")
        except CxError as exc:
            raise UsageError(f"--segment: {exc.message.removeprefix('--where: ')}") from None

    def option_columns(self) -> dict[str, tuple[str, str]]:
        if self.segment is None:
            return {}
        from ..where import columns_of

        named = columns_of(self._expression())
        return {f"segment[{i}]": (c, "--segment") for i, c in enumerate(named)}

    def select_roles(self, named: dict[str, str], found: dict[str, str]) -> dict[str, str]:
        return self.reader.select_roles(named, found)

    def bind(self, roles: Mapping[str, str]) -> Themes:
        if "score" in roles and self.segment is not None:
            raise UsageError("--segment and --score each choose the sides: give one")
        keys = tuple((c, k) for k, c in roles.items() if k.startswith("segment["))
        reader = replace(self.reader, score_kpi=self.score_kpi).bind(roles)
        return replace(self, reader=reader, segment_keys=keys or self.segment_keys)

    def fit(
        self,
        samples: Mapping[str, pa.Array],
        columns: Mapping[str, str],
        notice: Callable[[str], None],
        source: str = "",
    ) -> Themes:
        return replace(self, reader=self.reader.fit(samples, columns, notice, source))

    @property
    def sides(self) -> list[str]:
        if self.segment is not None:
            return ["segment", "rest"]
        scorer = self.reader.scorer
        if scorer is None:
            return ["negative", "positive"]
        categories = scorer.categories  # type: ignore[attr-defined]
        return [categories[0][0], categories[-1][0]]

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        import numpy as np

        from ..values import Parsed

        parsed = self.reader.parse(columns, times)
        text = parsed["text"]
        none = np.zeros(len(text.values), dtype=bool)
        if self.segment is not None:
            from ..where import evaluate, rename

            node = rename(self._expression(), dict(self.segment_keys))
            inside = evaluate(node, columns, len(none))
            side = np.where(inside, 0, 1)
        elif self.reader.scorer is None:
            compound = text.values
            side = np.where(compound <= NEGATIVE, 0, np.where(compound >= POSITIVE, 1, -1))
        else:
            codes, names = self.reader.row_categories(parsed)
            side = np.where(codes == 0, 0, np.where(codes == len(names) - 1, 1, -1))
        out = {"text": Parsed(side, text.missing, text.invalid)}
        out["quote"] = Parsed(np.array(columns["text"].to_pylist(), dtype=object), none, none)
        if "score" in parsed:
            out["score"] = parsed["score"]
        for _, key in self.segment_keys:  # read for the sides: every value is usable
            out[key] = Parsed(none, none, none)
        return out

    def row_status(self, parsed: Mapping[str, Parsed]) -> tuple[np.ndarray, np.ndarray]:
        return parsed["text"].missing, parsed["text"].invalid

    def init(self) -> TermCounts:
        return TermCounts()

    def update(self, state: TermCounts, values: Mapping[str, np.ndarray]) -> TermCounts:
        """The batch's terms folded into `state`'s sketches (the accumulator's own: no copy)."""
        from ..sketches import frequent

        sides, texts = values["text"], values["quote"]
        out = state
        for side in (0, 1):
            chosen = texts[sides == side]
            if not len(chosen):
                continue
            counts: Counter[str] = Counter()
            for text, times in Counter(chosen.tolist()).items():
                for term in terms_of(str(text)):
                    counts[term] += times
            sketch = (out.a if side == 0 else out.b) or frequent(LG_COUNTERS)
            for term, weight in counts.items():
                sketch.update(term, weight)
            if side == 0:
                out.a = sketch
            else:
                out.b = sketch
            out.docs[side] += len(chosen)
        return out

    def merge(self, a: TermCounts, b: TermCounts) -> TermCounts:
        def both(x: Any, y: Any) -> Any:
            if x is None or y is None:
                return _copy(x if y is None else y)
            merged = _copy(x)
            merged.merge(y)
            return merged

        return TermCounts(
            both(a.a, b.a), both(a.b, b.b), [a.docs[0] + b.docs[0], a.docs[1] + b.docs[1]]
        )

    def finalize(self, state: TermCounts, confidence: float = 0.95) -> Estimate:
        counts = [_counts(state.a), _counts(state.b)]
        totals = [_total(state.a), _total(state.b)]
        sides = self.sides
        details: dict[str, Any] = {
            "sides": sides,
            "comments": {sides[0]: state.docs[0], sides[1]: state.docs[1]},
            "terms_counted": {sides[0]: totals[0], sides[1]: totals[1]},
            "count_error": {s: _error(sk) for s, sk in zip(sides, (state.a, state.b), strict=True)},
            "themes": [],
        }
        n = sum(state.docs)
        if not totals[0] or not totals[1]:
            note = f"no {sides[0] if not totals[0] else sides[1]} comments to compare with"
            return Estimate(None, n, None, details, (note,))
        scored = []
        for term in sorted(set(counts[0]) | set(counts[1])):
            ya, yb = counts[0].get(term, 0), counts[1].get(term, 0)
            scored.append((term, _z(ya, yb, totals[0], totals[1]), ya, yb))
        themes = []
        for side, sign in ((0, 1), (1, -1)):
            ranked = sorted(  # ties by term: the same order in every run
                (t for t in scored if sign * t[1] > 0), key=lambda t: (-sign * t[1], t[0])
            )
            count = 2 + side  # the side's count in a scored tuple
            phrases = [t for t in ranked if " " in t[0] and abs(t[1]) >= Z]
            shown: list[str] = []
            for term, z, ya, yb in ranked:
                if len(shown) == self.terms:
                    break
                mine = ya if side == 0 else yb
                if " " not in term and any(
                    term in p[0].split() and 2 * p[count] >= mine for p in phrases
                ):
                    continue  # mostly inside a phrase of the side: the phrase says it
                shown.append(term)
                themes.append(
                    {"side": sides[side], "term": term, "z": z, "count_a": ya, "count_b": yb}
                )
        details["themes"] = themes
        strong = sum(1 for _, z, _, _ in scored if z >= Z)
        return Estimate(float(strong), n, None, details)


def _z(ya: int, yb: int, na: int, nb: int) -> float:
    prior = PRIOR * (ya + yb) / (na + nb)
    a = math.log((ya + prior) / (na + PRIOR - ya - prior))
    b = math.log((yb + prior) / (nb + PRIOR - yb - prior))
    return (a - b) / math.sqrt(1 / (ya + prior) + 1 / (yb + prior))


def _counts(sketch: Any) -> dict[str, int]:
    if sketch is None:
        return {}
    from datasketches import frequent_items_error_type

    found = sketch.get_frequent_items(frequent_items_error_type.NO_FALSE_NEGATIVES)
    return {item: int(estimate) for item, estimate, _, _ in found}


def _total(sketch: Any) -> int:
    return 0 if sketch is None else int(sketch.total_weight)


def _error(sketch: Any) -> int:
    """The most a count of the side can be off by (the sketch's a-posteriori bound)."""
    if sketch is None:
        return 0
    return int(sketch.get_upper_bound("\0") - sketch.get_lower_bound("\0"))


def _copy(sketch: Any) -> Any:
    if sketch is None:
        return None
    from ..sketches import load_frequent

    return load_frequent(sketch.serialize())
