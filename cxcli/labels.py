"""Verbal answer scales: the labels survey and support tools export instead of numbers
(`Extremely satisfied`, `Strongly agree`, Zendesk's `Good` / `Bad`, Freshdesk's `Awesome`), as
the numbers of their scale. Matching ignores case and spacing; `10 - Extremely likely` (a number
with its end label) is the number. Which set a column uses is decided from a sample of it;
`--labels "Awesome=3,Just Okay=2,Not Good=1"` (or `labels` in cx.toml) gives any other."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .errors import UsageError

_NUMBERED = r"^\s*([0-9]{1,2})\s*(?:[-–—:=.)]|\()\s*[^0-9\s]"


@dataclass(frozen=True)
class LabelSet:
    """Labels (normalised) and their numbers on `scale`; a number of None means "no answer"
    (Zendesk's `Offered`: a survey sent, not answered). `numbered`: also read `N - label`."""

    name: str
    scale: tuple[int, int]
    labels: tuple[tuple[str, int | None], ...]
    kpis: tuple[str, ...] = ()
    numbered: bool = False

    @property
    def mapping(self) -> dict[str, int | None]:
        return dict(self.labels)

    def reversed(self) -> LabelSet:
        """The same labels numbered the other way round (CES with --lower-is-easier)."""
        low, high = self.scale
        flipped = tuple((k, None if v is None else low + high - v) for k, v in self.labels)
        return LabelSet(self.name, self.scale, flipped, self.kpis, self.numbered)

    def describe(self, seen: Iterable[str] = ()) -> str:
        """`5-point satisfaction labels ('very satisfied' = 5 … 'very dissatisfied' = 1)`,
        naming the labels `seen` in the column where it can."""
        wanted = {_norm(label) for label in seen if label}
        numbered = [(v, k) for k, v in self.labels if v is not None]
        shown = [(v, k) for v, k in numbered if k in wanted] or numbered
        if not shown:
            return self.name
        (low, low_label), (high, high_label) = min(shown), max(shown, key=lambda p: p[0])
        return f"{self.name} labels ({high_label!r} = {high} … {low_label!r} = {low})"


def _set(name: str, scale: tuple[int, int], kpis: tuple[str, ...], **labels: int | None):
    return LabelSet(name, scale, tuple((k.replace("_", " "), v) for k, v in labels.items()), kpis)


_SAT = ("csat",)
_CES = ("ces",)
BUILT_IN: tuple[LabelSet, ...] = (
    _set("3-point satisfaction", (1, 3), _SAT, satisfied=3, neutral=2, dissatisfied=1),
    _set(
        "5-point satisfaction",
        (1, 5),
        _SAT,
        very_satisfied=5,
        extremely_satisfied=5,
        satisfied=4,
        somewhat_satisfied=4,
        neither_satisfied_nor_dissatisfied=3,
        neutral=3,
        somewhat_dissatisfied=2,
        dissatisfied=2,
        very_dissatisfied=1,
        extremely_dissatisfied=1,
    ),
    _set(
        "7-point satisfaction",
        (1, 7),
        _SAT,
        extremely_satisfied=7,
        moderately_satisfied=6,
        slightly_satisfied=5,
        neither_satisfied_nor_dissatisfied=4,
        slightly_dissatisfied=3,
        moderately_dissatisfied=2,
        extremely_dissatisfied=1,
    ),
    LabelSet(
        "Zendesk good/bad",
        (1, 2),
        (
            ("good", 2),
            ("good, i'm satisfied", 2),
            ("bad", 1),
            ("bad, i'm unsatisfied", 1),
            ("offered", None),
            ("unoffered", None),
        ),
        _SAT,
    ),
    _set("Freshdesk 3-point", (1, 3), _SAT, awesome=3, just_okay=2, not_good=1),
    _set(
        "5-point agreement",
        (1, 5),
        _CES,
        strongly_agree=5,
        agree=4,
        neither_agree_nor_disagree=3,
        neutral=3,
        disagree=2,
        strongly_disagree=1,
    ),
    _set(
        "7-point agreement",
        (1, 7),
        _CES,
        strongly_agree=7,
        agree=6,
        somewhat_agree=5,
        neither_agree_nor_disagree=4,
        somewhat_disagree=3,
        disagree=2,
        strongly_disagree=1,
    ),
    _set(
        "5-point ease",
        (1, 5),
        _CES,
        very_easy=5,
        easy=4,
        neither_easy_nor_difficult=3,
        neutral=3,
        difficult=2,
        very_difficult=1,
    ),
    _set(
        "7-point ease",
        (1, 7),
        _CES,
        very_easy=7,
        easy=6,
        somewhat_easy=5,
        neither_easy_nor_difficult=4,
        somewhat_difficult=3,
        difficult=2,
        very_difficult=1,
    ),
    _set("0-10 likelihood", (0, 10), ("nps",), extremely_likely=10, not_at_all_likely=0),
)


def normalise(text: pa.Array) -> pa.Array:
    """Lower case, one space between words, typographic apostrophes as `'`."""
    text = pc.utf8_lower(text)
    text = pc.replace_substring(text, "’", "'")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", label.lower().replace("’", "'")).strip()


def parse_labels(text: str | Mapping[str, object], option: str = "--labels") -> LabelSet:
    """`--labels "Awesome=3,Just Okay=2,Not Good=1,Offered="` (an empty number: no answer; a
    label with a comma in quotes: `'"Good, I''m satisfied"=2'`), or a table of cx.toml."""
    if isinstance(text, Mapping):
        pairs: Iterable[tuple[str, object]] = text.items()
    else:
        import csv

        pairs = []
        for part in next(csv.reader([str(text)], skipinitialspace=True), []):
            if not part.strip():
                continue
            label, sep, number = part.rpartition("=")
            if not sep or not label.strip():
                raise UsageError(
                    f"{option} {text!r}: write LABEL=NUMBER pairs, e.g. 'Good=2,Bad=1'"
                )
            pairs.append((label, number))
    labels: list[tuple[str, int | None]] = []
    for label, number in pairs:
        raw = str(number).strip() if number is not None else ""
        if raw in ("", "missing"):
            labels.append((_norm(label), None))
            continue
        try:
            labels.append((_norm(label), int(raw)))
        except ValueError:
            raise UsageError(
                f"{option}: {label!r} = {number!r} is not a whole number (or empty for no answer)"
            ) from None
    numbers = [v for _, v in labels if v is not None]
    if not numbers:
        raise UsageError(f"{option}: give at least one LABEL=NUMBER pair")
    return LabelSet("given", (min(numbers), max(numbers)), tuple(labels), numbered=True)


def choose(kpi: str, sample: pa.Array, extra: Iterable[LabelSet] = ()) -> LabelSet | None:
    """The label set a column's sample uses: among the sets for this KPI (`extra` first) that
    hold every label seen, the one with the fewest points; `numbered` when the sample has
    `N - label` answers. None when the sample holds no labels (plain numbers)."""
    text = sample if pa.types.is_string(sample.type) else None
    if text is None or len(text) == 0:
        return None
    distinct = pc.unique(normalise(pc.unique(text.drop_null()))).to_pylist()
    words = {v for v in distinct if v and not re.fullmatch(r"[+-]?[0-9.eE+-]+", v)}
    numbered = {v for v in words if re.match(_NUMBERED, v)}
    words -= numbered
    candidates = [s for s in (*extra, *BUILT_IN) if not s.kpis or kpi in s.kpis]
    if words:
        covering = [s for s in candidates if words <= set(s.mapping)]
        if not covering:
            return None
        found = min(covering, key=lambda s: s.scale[1] - s.scale[0])
        return LabelSet(found.name, found.scale, found.labels, found.kpis, bool(numbered))
    if numbered:
        return LabelSet("numbered", (0, 0), (), numbered=True)
    return None


def apply(arr: pa.Array, labels: LabelSet) -> pa.Array:
    """Text with every label replaced by its number (as text), labels meaning "no answer" by
    null, `N - label` by N; anything else left as it is (to be parsed, or found invalid)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    encoded = pc.dictionary_encode(arr)
    words = encoded.dictionary
    normal = normalise(words)
    out = words.to_pylist()
    mapping = labels.mapping
    keys = list(mapping)
    hit = pc.index_in(normal, value_set=pa.array(keys, pa.string())).to_pylist() if keys else []
    for i, position in enumerate(hit):
        if position is not None:
            number = mapping[keys[position]]
            out[i] = None if number is None else str(number)
    if labels.numbered:
        prefixed = pc.extract_regex(normal, r"^\s*(?P<n>[0-9]{1,2})\s*(?:[-–—:=.)]|\()\s*[^0-9\s]")
        for i, match in enumerate(prefixed.to_pylist()):
            if match is not None and (not keys or hit[i] is None):
                out[i] = match["n"]
    table = pa.array(out, pa.string())
    return table.take(encoded.indices)
