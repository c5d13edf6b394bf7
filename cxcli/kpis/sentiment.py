"""Customer sentiment of free text (comments, first messages), offline.

Each response is scored by VADER (Hutto & Gilbert 2014; vaderSentiment 3.3.2, its lexicon
inside the package): a compound score in [−1, 1], positive when ≥ 0.05, negative when
≤ −0.05, neutral between (the thresholds VADER's authors give; the definition
`sentiment.vader` names them). Net sentiment = % positive − % negative, on −100..100 like
NPS, with the same adjusted-Wald interval and change test; also the shares with Wilson
intervals, the mean compound with a t interval, and the distribution in tenths.

Empty or whitespace-only text is missing, not neutral. Text that is not English is invalid,
not scored: VADER's lexicon is English, and a German "war" (was) would score as the English
word. A comment is taken as not English when it is mostly in a non-Latin script, or when it
has as many common function words of Spanish, French, German, Italian, Portuguese or Dutch
("muy", "le", "und", "che", "não", "het" …) as of English ("the", "and", "but", "was" …), at
least one; a comment with neither ("quick delivery, great price") is scored as English.

With `--score COL` (and `--kpi nps|csat|ces`, default nps) the results are split by the
score's category (`key.category`: detractor / passive / promoter; not satisfied / satisfied;
difficult / neutral / easy), and each category counts the comments that disagree with it —
negative text from its best category, positive text from its worst — with `--examples N`
of them quoted (the first N in file order, at most 120 characters).

>>> Sentiment().compute({"text": ["Great support, thanks!", "Terrible, never again.",
...                                "It was delivered on Tuesday.", "   "]}).value
0.0
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Kpi, NetShares, Role, option
from ..errors import UsageError
from ..registry import register
from ..stats import Test, mean_interval, nps_change_test, nps_interval, wilson

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed
    from .histogram import ScoreKpi

POSITIVE, NEGATIVE = 500, -500  # compound × 10⁴: VADER's ±0.05
SCALE = 10_000  # VADER rounds the compound to 4 decimals: exact as integers
BINS = 20  # the distribution in tenths of the compound, from −1
# state: negative, neutral, positive counts, Σ compound·10⁴, Σ (compound·10⁴)², 20 bins
NEG, NEU, POS, SUM, SQUARES, HIST = 0, 1, 2, 3, 4, 5
WIDTH = HIST + BINS

TEXT = Role(
    "text",
    "comment",
    aliases=(
        *("comments", "text", "feedback", "verbatim", "open_text", "message", "review"),
        *("first_message", "description", "body", "response_text"),
    ),
    help="free-text answers or messages",
)
SCORE = Role(
    "score",
    "score",
    help="a score whose categories split the text (with --kpi; only when named)",
    required=False,
    kind="score",
)
SCORE_KPIS = ("nps", "csat", "ces")
QUOTE_LIMIT = 120  # characters of a quoted comment
ENGLISH = frozenset(
    (
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "him",
        "his",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "it's",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
    )
)
# Function words of other languages that are not English words (`die`, `a`, `per` are).
FOREIGN = frozenset(
    (
        # Spanish
        *[
            "el",
            "los",
            "las",
            "del",
            "muy",
            "pero",
            "que",
            "por",
            "para",
            "con",
            "una",
            "es",
            "está",
            "están",
            "fue",
            "nunca",
            "gracias",
        ],
        *[
            "también",
            "porque",
            "cuando",
            "este",
            "esta",
            "eso",
            "más",
            "su",
            "sus",
            "nos",
            "lo",
            "se",
            "mal",
            "bien",
        ],
        # French
        *[
            "le",
            "les",
            "des",
            "du",
            "une",
            "est",
            "et",
            "très",
            "pas",
            "mais",
            "pour",
            "avec",
            "sur",
            "dans",
            "ce",
            "cette",
            "je",
            "nous",
        ],
        *["vous", "il", "elle", "ont", "été", "était", "merci", "rien", "jamais"],
        # German
        *[
            "der",
            "das",
            "und",
            "ist",
            "nicht",
            "sehr",
            "mit",
            "ein",
            "eine",
            "einen",
            "auf",
            "für",
            "wirklich",
            "aber",
            "auch",
        ],
        *["noch", "nur", "schon", "danke", "ich", "wir", "den", "dem", "kein", "keine"],
        # Italian, Portuguese, Dutch
        *[
            "gli",
            "della",
            "che",
            "molto",
            "sono",
            "è",
            "grazie",
            "non",
            "não",
            "muito",
            "obrigado",
            "obrigada",
            "com",
            "uma",
        ],
        *[
            "são",
            "mas",
            "foi",
            "bem",
            "nao",
            "het",
            "een",
            "niet",
            "zeer",
            "heel",
            "maar",
            "ook",
            "bedankt",
            "goed",
            "slecht",
        ],
        *["voor", "zijn", "wij", "ik"],
    )
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def is_english(text: str) -> bool:
    """Whether VADER can score the text: not when it is mostly in a non-Latin script, nor when
    it has as many common function words of Spanish, French, German, Italian, Portuguese or
    Dutch as of English, at least one; otherwise (none of either) it is scored as English."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(ord(c) > 0x24F for c in letters) * 2 > len(letters):
        return False  # mostly outside the Latin script
    words = _WORD.findall(text.lower())
    foreign = sum(w in FOREIGN for w in words)
    return foreign == 0 or sum(w in ENGLISH for w in words) > foreign


def score_texts(texts: list[str]) -> list[int | None]:
    """Each text's compound × 10⁴, or None for text that is not English."""
    analyzer = _analyzer()
    return [
        round(analyzer.polarity_scores(t)["compound"] * SCALE) if is_english(t) else None
        for t in texts
    ]


@dataclass
class Comments:
    """Counts and sums of compound scores, 20 bins; with --examples the first distinct quotes
    of negative and of positive comments (for the categories they disagree with)."""

    counts: np.ndarray
    negative: list[str] = field(default_factory=list)
    positive: list[str] = field(default_factory=list)


@register
@dataclass(frozen=True)
class Sentiment(NetShares, Kpi[Comments]):
    """Net sentiment of free text: % positive − % negative (VADER)."""

    name = "sentiment"
    title = "Customer Sentiment"
    indicator = "leading"  # what customers write moves before the scores do
    net_name = "net sentiment"
    roles = (TEXT, SCORE)
    invalid_rule = "text that is not English is not scored (VADER's lexicon is English)"
    time_aliases = ("submitted_at", "created_at", "timestamp", "date", "time")
    examples = (
        "cx sentiment survey.csv --text Comment",
        "cx sentiment tickets.parquet --text first_message --by channel --period month",
        "cx sentiment survey.csv --text Comment --score LTR --kpi nps --examples 3",
    )

    score_kpi: str | None = option(
        None,
        "the KPI whose categories of --score split the results (default: nps with --score)",
        choices=SCORE_KPIS,
        flags=("--kpi",),
    )
    quotes: int = option(
        0, "quote up to N comments that disagree with their category", flags=("--examples",)
    )
    scorer: ScoreKpi | None = field(default=None, metadata={"cli": False})  # set by bind/fit

    def check(self) -> None:
        if self.quotes < 0:
            raise UsageError("--examples must be at least 0")
        if self.score_kpi is not None and self.score_kpi not in SCORE_KPIS:
            raise UsageError(f"--kpi {self.score_kpi!r}: use one of {', '.join(SCORE_KPIS)}")

    def select_roles(self, named: dict[str, str], found: dict[str, str]) -> dict[str, str]:
        """The score only when named: a column called `score` does not split the text."""
        return {**{r: c for r, c in found.items() if r != "score"}, **named}

    def bind(self, roles: Mapping[str, str]) -> Sentiment:
        if "score" not in roles:
            if self.score_kpi is not None:
                raise UsageError("--kpi needs --score COL: the answers whose categories split it")
            return self
        from ..registry import all_kpis

        return replace(self, scorer=all_kpis()[self.score_kpi or "nps"]())

    def fit(
        self,
        samples: Mapping[str, pa.Array],
        columns: Mapping[str, str],
        notice: Callable[[str], None],
        source: str = "",
    ) -> Sentiment:
        """The score read as its KPI reads it (answer labels, scale)."""
        if self.scorer is None or "score" not in samples:
            return self
        scorer = self.scorer.fit({"score": samples["score"]}, columns, notice, source)
        return replace(self, scorer=scorer)  # type: ignore[arg-type]

    @property
    def category_key(self) -> str | None:
        return None if self.scorer is None else "category"

    def row_categories(self, parsed: Mapping[str, Parsed]) -> tuple[np.ndarray, tuple[str, ...]]:
        import numpy as np

        assert self.scorer is not None
        score = parsed["score"]
        codes = np.full(len(score.values), -1, dtype=np.int64)
        categories = self.scorer.categories  # type: ignore[attr-defined]
        for code, (_, low, high) in enumerate(categories):
            codes[score.valid & (score.values >= low) & (score.values <= high)] = code
        return codes, tuple(name for name, _, _ in categories)

    def row_status(self, parsed: Mapping[str, Parsed]) -> tuple[np.ndarray, np.ndarray]:
        """By the text alone: a comment with no valid score is scored, in no category."""
        text = parsed["text"]
        return text.missing, text.invalid

    def params(self) -> dict[str, Any]:
        out = super().params()
        out["score_kpi"] = None if self.scorer is None else self.scorer.name
        return out

    @property
    def definition(self) -> str:
        return "sentiment.vader"

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        """Each distinct text of the batch scored once."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..values import Parsed

        text = columns["text"]
        if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
            text = pc.cast(text, pa.string())
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(text), ""), True)
        missing = blank.to_numpy(zero_copy_only=False)
        distinct = pc.unique(pc.filter(text, pc.invert(blank)))
        scores = score_texts(distinct.to_pylist())
        where = pc.index_in(text, distinct).to_numpy(zero_copy_only=False)
        where = np.where(missing, 0, np.nan_to_num(where, nan=0)).astype(np.int64)
        table = np.array([np.nan if s is None else s for s in scores] or [0.0])
        values = table[where] if len(scores) else np.zeros(len(text))
        invalid = ~missing & np.isnan(values)
        values = np.where(missing | invalid, 0, values).astype(np.int64)
        out = {"text": Parsed(values, missing, invalid)}
        none = np.zeros(len(text), dtype=bool)
        if self.quotes:  # the texts themselves, to quote
            quotes = np.array(text.to_pylist(), dtype=object)
            out["quote"] = Parsed(quotes, none, none)
        if self.scorer is not None and "score" in columns:
            out["score"] = self.scorer.parse({"score": columns["score"]}, times)["score"]
        return out

    def init(self) -> Comments:
        import numpy as np

        return Comments(np.zeros(WIDTH, dtype=np.int64))

    def update(self, state: Comments, values: Mapping[str, np.ndarray]) -> Comments:
        import numpy as np

        ids = np.zeros(len(values["text"]), np.int64)
        return self.merge(state, self.update_groups(values, ids, 1)[0])

    def update_groups(
        self, values: Mapping[str, np.ndarray], group_ids: np.ndarray, n_groups: int
    ) -> list[Comments]:
        import numpy as np

        compound = values["text"]
        kind = np.where(compound >= POSITIVE, POS, np.where(compound <= NEGATIVE, NEG, NEU))
        tenth = np.minimum((compound + SCALE) * BINS // (2 * SCALE), BINS - 1) + HIST
        out = np.zeros((n_groups, WIDTH), dtype=np.int64)
        np.add.at(out, (group_ids, kind), 1)
        np.add.at(out, (group_ids, tenth), 1)
        out[:, SUM] = np.bincount(group_ids, compound, minlength=n_groups).round()
        squares = compound.astype(np.float64) ** 2
        out[:, SQUARES] = np.bincount(group_ids, squares, minlength=n_groups).round()
        states = [Comments(row) for row in out]
        if self.quotes and "quote" in values:
            for kind, polar in (
                ("negative", compound <= NEGATIVE),
                ("positive", compound >= POSITIVE),
            ):
                rows = np.flatnonzero(polar)
                for row in rows[np.argsort(group_ids[rows], kind="stable")]:
                    quotes = getattr(states[group_ids[row]], kind)
                    quote = _quote(values["quote"][row])
                    if len(quotes) < self.quotes and quote not in quotes:
                        quotes.append(quote)
        return states

    def merge(self, a: Comments, b: Comments) -> Comments:
        n = self.quotes

        def first(x: list[str], y: list[str]) -> list[str]:
            return list(dict.fromkeys(x + y))[:n]

        return Comments(
            a.counts + b.counts, first(a.negative, b.negative), first(a.positive, b.positive)
        )

    def finalize(self, state: Comments, confidence: float = 0.95) -> Estimate:
        import math

        quotes = {"negative": state.negative, "positive": state.positive}
        state = state.counts  # type: ignore[assignment]
        negative, neutral, positive = (int(state[i]) for i in (NEG, NEU, POS))
        n = negative + neutral + positive

        def share(count: int) -> dict[str, Any]:
            ci = wilson(count, n, confidence)
            return {"count": count, "pct": 100 * count / n if n else None, "ci": ci}

        mean = sd = None
        if n:
            mean = int(state[SUM]) / n / SCALE
            variance = (int(state[SQUARES]) / SCALE**2 - n * mean**2) / (n - 1) if n > 1 else 0
            sd = math.sqrt(max(variance, 0.0))
        details: dict[str, Any] = {
            "positive": positive,
            "neutral": neutral,
            "negative": negative,
            "pct_positive": share(positive)["pct"],
            "pct_neutral": share(neutral)["pct"],
            "pct_negative": share(negative)["pct"],
            "ci_positive": share(positive)["ci"],
            "ci_negative": share(negative)["ci"],
            "mean_compound": mean,
            "mean_compound_ci": _within(mean_interval(mean, sd, n, confidence)) if n else None,
            "distribution": {
                f"{(i - BINS // 2) / 10:.1f}": int(c) for i, c in enumerate(state[HIST:])
            },
            "thresholds": {"positive": POSITIVE / SCALE, "negative": NEGATIVE / SCALE},
        }
        if self.quotes:
            details["quotes"] = quotes
        if n == 0:
            return Estimate(None, 0, None, details, ("no text to score",))
        value = 100 * (positive - negative) / n
        return Estimate(value, n, nps_interval(positive, negative, n, confidence), details)

    def compare(self, before: Comments, after: Comments, confidence: float) -> Test | None:
        before, after = before.counts, after.counts  # type: ignore[assignment]
        n = tuple(int(s[NEG] + s[NEU] + s[POS]) for s in (before, after))
        positive = (int(before[POS]), int(after[POS]))
        negative = (int(before[NEG]), int(after[NEG]))
        return nps_change_test(positive, negative, n, confidence)  # type: ignore[arg-type]

    def from_result(self, result: Mapping[str, Any]) -> Comments | None:
        import numpy as np

        details = result.get("details") or {}
        if not all(isinstance(details.get(k), int) for k in ("positive", "neutral", "negative")):
            return None
        state = np.zeros(WIDTH, dtype=np.int64)
        state[[NEG, NEU, POS]] = [details["negative"], details["neutral"], details["positive"]]
        return Comments(state)


def _within(ci: tuple[float, float] | None) -> tuple[float, float] | None:
    """An interval of the mean compound kept within [−1, 1], where the scores lie."""
    return None if ci is None else (max(ci[0], -1.0), min(ci[1], 1.0))


def _quote(text: Any) -> str:
    """A comment as one short line: whitespace collapsed, cut at QUOTE_LIMIT characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= QUOTE_LIMIT else line[: QUOTE_LIMIT - 1] + "…"
