"""Durations as exports write them: plain numbers in a unit (seconds unless `--unit` or the
column's name says otherwise: `… in minutes`, `(in hrs)`, `_ms`), and clock text.

Three-field clock text (`1:02:51`) is hours, minutes and seconds. Two-field text (`02:51`) is
ambiguous — 2 min 51 s or 2 h 51 min — and is read the way `DurationFormat.clock` says:
`--clock`, a header that states it (`hh:mm`, `(in hrs)`, Freshdesk's `Time tracked`), or the
role's own reading (call components: mm:ss); otherwise such text cannot be read and the run
stops with both readings (see `decide_duration`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import InputError, UsageError

if TYPE_CHECKING:  # numpy and pyarrow load on first use: KPI modules import this for --help
    import numpy as np
    import pyarrow as pa

    from .values import Parsed

SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
UNIT_NAMES = {"ms": "milliseconds", "s": "seconds", "min": "minutes", "h": "hours", "d": "days"}
CLOCKS = ("mm:ss", "hh:mm")
UNIT_CLOCKS = {"min": "mm:ss", "h": "hh:mm"}
_CLOCK_RE = r"^[0-9]+:[0-9]{1,2}(:[0-9]{1,2})?(\.[0-9]+)?$"
_TWO_FIELDS_RE = r"^[0-9]+:[0-9]{1,2}(\.[0-9]+)?$"

# What a column's name says about its unit or its clock text: the first rule that matches
# wins, so `… in minutes within business hours` is in minutes (an explicit "in <unit>" comes
# before a bare word).
_WORD = r"(?:^|[\s_(\[/-])"
_END = r"(?:$|[\s_)\].,/-])"
_UNITS = (
    (r"ms|millis|milliseconds?", "ms", ""),
    (r"h|hrs?|hours?", "h", "hh:mm"),
    (r"m|mins?|minutes?", "min", "mm:ss"),
    (r"d|days?", "d", ""),
    (r"s|secs?|seconds?", "s", ""),
)
NAME_RULES: tuple[tuple[str, str, str], ...] = (
    (r"\bhh:mm:ss\b", "s", ""),
    (r"\bhh:mm\b", "h", "hh:mm"),
    (r"\bmm:ss\b", "min", "mm:ss"),
    (r"^\s*time[\s_]*tracked\s*$", "h", "hh:mm"),  # Freshdesk writes hh:mm there
    *((_WORD + r"in\s*(?:" + words + ")" + _END, unit, clock) for words, unit, clock in _UNITS),
    *((_WORD + r"(?:" + words + ")" + _END, unit, clock) for words, unit, clock in _UNITS),
)


@dataclass(frozen=True)
class DurationFormat:
    """How one duration column is written: the unit of plain numbers, and how two-field clock
    text reads (`mm:ss`, `hh:mm`, or "" when it cannot be read: such values are invalid)."""

    unit: str = "s"
    clock: str = "mm:ss"


def name_rule(column: str) -> tuple[str, str] | None:
    """(unit, clock) that a column's name states, e.g. `Resolution time (in hrs)` → hours."""
    text = column.strip().lower()
    for pattern, unit, clock in NAME_RULES:
        if re.search(pattern, text):
            return unit, clock
    return None


def parse_durations(arr: pa.Array | pa.ChunkedArray, fmt: DurationFormat | None = None) -> Parsed:
    """Seconds from numbers (in `fmt.unit`), typed durations, or clock text (`H:MM:SS`, and
    two-field text as `fmt.clock` says; fractions allowed).

    Negative values, minutes or seconds of 60 and over, and other text are invalid."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .values import Parsed, _by_dictionary, _np, _plain, arrow_of, parse_numbers

    fmt = fmt or DurationFormat()
    arr = _plain(arr)
    if pa.types.is_duration(arr.type):
        number = parse_numbers(pc.cast(pc.cast(arr, pa.duration("us")), pa.int64()))
        values = number.values / 1e6
        invalid = number.invalid | (values < 0)
        return Parsed(np.where(invalid, 0.0, values), number.missing, invalid)
    text = pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
    if text:
        few = _by_dictionary(arr, lambda distinct: parse_durations(distinct, fmt))
        if few is not None:
            return few
    number = parse_numbers(arr)
    values = number.values * SECONDS[fmt.unit]
    invalid = number.invalid | (values < 0)
    rows = np.flatnonzero(number.invalid)  # not a number: perhaps clock text
    if rows.size and text:
        clock_text = pc.utf8_trim_whitespace(arr.take(arrow_of(rows)))
        clock = _np(pc.match_substring_regex(clock_text, _CLOCK_RE).fill_null(False))
        rows, clock_text = rows[clock], clock_text.filter(arrow_of(clock))
        seconds, bad = _clock_seconds(clock_text, fmt.clock)
        values[rows] = seconds
        invalid[rows] = bad
    return Parsed(np.where(invalid, 0.0, values), number.missing, invalid)


def within(parsed: Parsed, longest: float) -> Parsed:
    """`parsed` with durations over `longest` seconds invalid."""
    return parsed.invalid_where(parsed.values > longest)


def _clock_seconds(text: pa.Array, clock: str) -> tuple[np.ndarray, np.ndarray]:
    """Seconds of clock texts, and which cannot be read: a field out of range (minutes of a
    mm:ss reading may exceed 59: `75:30`), or two fields with no reading for them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .values import _np, arrow_of

    parts = pc.split_pattern(text, ":")
    fields = _np(pc.list_value_length(parts).fill_null(0))
    values = np.zeros(len(text))
    bad = np.ones(len(text), dtype=bool)
    for count in (2, 3):
        rows = fields == count
        if not rows.any() or (count == 2 and not clock):
            continue
        picked = parts.filter(arrow_of(rows))
        a, b, *c = (_np(pc.cast(pc.list_element(picked, i), pa.float64())) for i in range(count))
        if count == 3:
            values[rows] = a * 3600 + b * 60 + c[0]
            bad[rows] = (b >= 60) | (c[0] >= 60)
        else:
            values[rows] = a * 3600 + b * 60 if clock == "hh:mm" else a * 60 + b
            bad[rows] = b >= 60
    return np.where(bad, 0.0, values), bad


def two_field_share(arr: pa.Array | pa.ChunkedArray) -> tuple[int, str | None]:
    """How many values of a sample are two-field clock text, and the first of them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .values import _np, _plain

    arr = _plain(arr)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return 0, None
    matches = pc.match_substring_regex(pc.utf8_trim_whitespace(arr), _TWO_FIELDS_RE)
    found = _np(matches.fill_null(False))
    if not found.any():
        return 0, None
    return int(found.sum()), arr[int(np.flatnonzero(found)[0])].as_py().strip()


def decide_duration(
    column: str,
    sample: pa.Array | pa.ChunkedArray,
    *,
    unit: str | None,
    clock: str | None,
    role_clock: str,
    option: str,
    notice: Callable[[str], None],
    source: str,
) -> DurationFormat:
    """The format of one duration column: `--unit` / `--clock` when given, else what its name
    states (said on stderr), else seconds and the role's clock reading. Two-field clock text
    with no reading at all stops the run (exit 2) with what each reading would give."""
    if unit is not None and unit not in SECONDS:
        raise UsageError(f"--unit {unit!r}: use one of {', '.join(SECONDS)}")
    if clock is not None and clock not in CLOCKS:
        raise UsageError(f"--clock {clock!r}: use hh:mm or mm:ss")
    stated = name_rule(column)
    count, example = two_field_share(sample)
    numbers = int(parse_numbers_count(sample))
    if unit is None and stated is not None and stated[0] != "s" and numbers:
        notice(f"{column!r} ({option}): numbers read as {UNIT_NAMES[stated[0]]}, as its name says")
    chosen_unit = unit or (stated[0] if stated else "s")
    if clock is None and unit is not None:
        clock = UNIT_CLOCKS.get(unit)  # minutes read `02:51` as mm:ss, hours as hh:mm
    if clock is not None:
        return DurationFormat(chosen_unit, clock)
    if stated is not None and stated[1]:
        if count:
            notice(f"{column!r} ({option}): clock times like {example!r} read as {stated[1]}")
        return DurationFormat(chosen_unit, stated[1])
    if role_clock:
        if count:
            seconds = clock_reading(example or "", role_clock)
            notice(
                f"{column!r} ({option}): clock times like {example!r} read as {role_clock} "
                f"({_plain_seconds(seconds)}); give --clock hh:mm if they are hours and minutes"
            )
        return DurationFormat(chosen_unit, role_clock)
    if count:
        means = {c: _sample_mean(sample, DurationFormat(chosen_unit, c)) for c in CLOCKS}
        readings = "; ".join(
            f"as {c} {example!r} is {_plain_seconds(clock_reading(example or '', c))} "
            f"and the mean {_plain_seconds(means[c])}"
            for c in CLOCKS
        )
        where = f"{source}: column" if source else "column"
        raise InputError(
            f"{where} {column!r} ({option}) holds two-field clock times like "
            f"{example!r}, which read two ways: {readings}",
            hint="say which with --clock hh:mm or --clock mm:ss",
        )
    return DurationFormat(chosen_unit, "")


def parse_numbers_count(sample: pa.Array | pa.ChunkedArray) -> int:
    """How many values of a sample are plain numbers."""
    from .values import parse_numbers

    return int(parse_numbers(sample).valid.sum())


def clock_reading(text: str, clock: str) -> float:
    import pyarrow as pa

    seconds, _ = _clock_seconds(pa.array([text.strip()]), clock)
    return float(seconds[0])


def _sample_mean(sample: pa.Array | pa.ChunkedArray, fmt: DurationFormat) -> float | None:
    parsed = parse_durations(sample, fmt)
    valid = parsed.valid
    return float(parsed.values[valid].mean()) if valid.any() else None


def _plain_seconds(seconds: float | None) -> str:
    """`1h 17m 00s`, `2m 51s`: a duration as a message shows it."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s"


def fmt_duration(seconds: float) -> str:
    """As people read durations: `45.2s`, `7m 40s`, `20.1 h`, `3.5 d`."""
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.1f}s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{sign}{minutes}m {rest:02d}s"
    if seconds < 48 * 3600:
        return f"{sign}{seconds / 3600:.1f} h"
    return f"{sign}{seconds / 86400:.1f} d"
