"""Times: how a column's text is read as instants (int64 µs since the epoch, UTC), decided once
per column from a sample, then applied to every batch, vectorised.

The formats cx reads without being told (`TimeFormat.kind`):

- `iso`: ISO 8601 dates and times, naive or with `Z` / `±hh:mm` / `±hhmm`, also with a space
  before the offset (`2025-03-06 10:23:00 -0800`, as Delighted, Zendesk and Shopify write it);
- `mdy` / `dmy`: `03/06/2025 10:23:00 AM` and `06.03.2025 10:23` — month first or day first,
  decided by a day above 12 somewhere in the column, never guessed;
- `rfc2822`: `Mon, 02 Jun 2025 12:16:00 +0000`;
- `epoch`: seconds, milliseconds, microseconds or nanoseconds since 1970, recognised by their
  magnitude when every value is a whole number;
- `strptime`: the user's `--time-format` (`%s` means epoch numbers, their unit by magnitude).

A column is read in one format: values that do not fit it are invalid, never read another way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import UsageError
from .values import Parsed, _missing_strings, _np, _null_mask, _plain, arrow_of

US = 1_000_000
_ZONE = r"(?:Z|z|UTC|UT|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)"
_ISO_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
    r" ?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
_ISO_ZONE_RE = r"[0-9](Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_SPACED_ZONE_RE = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+) ([+-][0-9]{2}:?[0-9]{2}|Z)$"
_CLOCK = (
    r"(?:[ T,]+(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:\.(?P<f>[0-9]{1,9}))?)?"
    r"\s*(?P<p>[AaPp]\.?[Mm]\.?)?)?"
)
_SLASHED_RE = (
    r"^(?P<a>[0-9]{1,2})[/.-](?P<b>[0-9]{1,2})[/.-](?P<y>[0-9]{4})"
    + _CLOCK
    + r"\s*(?P<z>"
    + _ZONE
    + r")?$"
)
_RFC2822_RE = (
    r"^(?:[A-Za-z]{3},?\s+)?(?P<d>[0-9]{1,2})\s+(?P<mon>[A-Za-z]{3})[A-Za-z]*\.?\s+(?P<y>[0-9]{4})"
    r"(?:\s+(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?)?\s*(?P<z>" + _ZONE + r")?$"
)
_NUMBER_RE = r"^[+-]?[0-9]+(\.[0-9]*)?$"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Epoch units by magnitude: a whole number in [low, high) is a time in 1973–2286 in that unit.
EPOCH_UNITS = (("s", 1e8, 1e10, US), ("ms", 1e11, 1e13, 1_000), ("us", 1e14, 1e16, 1))
EPOCH_NS = ("ns", 1e17, 1e19, 0)  # µs per unit is 1/1000: divided, not multiplied


@dataclass(frozen=True)
class TimeFormat:
    """How one column's times are written: a `kind` (see the module docstring), the strptime
    codes for `strptime`, the epoch unit for `epoch` (s, ms, us, ns; "" = by magnitude)."""

    kind: str = "iso"
    fmt: str | None = None
    unit: str = ""

    def describe(self) -> str:
        names = {
            "iso": "ISO 8601",
            "mdy": "month/day/year",
            "dmy": "day/month/year",
            "rfc2822": "RFC 2822",
            "native": "typed times",
        }
        if self.kind == "epoch":
            return f"epoch {self.unit or 'numbers'}"
        if self.kind == "strptime":
            return repr(self.fmt)
        return names[self.kind]


@dataclass(frozen=True)
class TimeSettings:
    """How the time columns of a run are read: the user's `--time-format` (`fmt`) and `--tz`
    (the zone of times without an offset; default UTC), and the format decided for each column,
    by role (`--time` is the key of the --time column)."""

    fmt: str | None = None
    tz: str | None = None
    formats: tuple[tuple[str, TimeFormat], ...] = ()

    def format_of(self, role: str | None) -> TimeFormat:
        for name, found in self.formats:
            if name == role:
                return found
        return user_format(self.fmt) or TimeFormat()

    def with_format(self, role: str, found: TimeFormat) -> TimeSettings:
        kept = tuple((n, f) for n, f in self.formats if n != role)
        return replace(self, formats=(*kept, (role, found)))


def user_format(fmt: str | None) -> TimeFormat | None:
    """--time-format as a TimeFormat: strptime codes, or `%s` for epoch numbers."""
    if fmt is None:
        return None
    if fmt.strip() == "%s":
        return TimeFormat("epoch", fmt="%s")
    return TimeFormat("strptime", fmt)


def parse_times(
    arr: pa.Array | pa.ChunkedArray, settings: TimeSettings | None = None, role: str | None = None
) -> Parsed:
    """The column of `role` as int64 µs since the epoch (UTC), in the format decided for it.

    Naive values are taken as UTC, or as local times in `settings.tz`; values with an offset
    (and epoch numbers) keep their instant. Values that do not fit the format are invalid."""
    settings = settings or TimeSettings()
    arr = _plain(arr)
    found = settings.format_of(role)
    parsed, zoned = _parse(arr, found)
    if settings.tz is not None and zoned is not True:
        parsed = _localise(parsed, zoned, settings.tz)
    return _in_range(parsed)


FIRST_US = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
LAST_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z


def _in_range(parsed: Parsed) -> Parsed:
    """Instants outside years 1 to 9999 (a --tz shift of 0001-01-01, an epoch of 1e18 s) are
    invalid: no calendar cx writes can name them."""
    values = parsed.values
    if not values.size or (values.min() >= FIRST_US and values.max() <= LAST_US):
        return parsed  # two reductions, no mask: nearly every column
    outside = ~parsed.missing & ((values < FIRST_US) | (values > LAST_US))
    return parsed.invalid_where(outside)


def _parse(arr: pa.Array, found: TimeFormat) -> tuple[Parsed, np.ndarray | bool]:
    """Parsed values and which of them carried their own zone: a mask, or True / False when
    all or none did (a typed column, a clean ISO column read in one cast)."""
    kind = arr.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        missing = _null_mask(arr)
        zoned = pa.types.is_timestamp(kind) and kind.tz is not None
        values, beyond = _epoch_us(arr)
        return Parsed(values, missing, beyond & ~missing), zoned
    if found.kind == "epoch" or pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return _parse_epoch(arr, found), True
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        missing = _null_mask(arr)
        return Parsed(np.zeros(len(arr), dtype=np.int64), missing, ~missing), False
    if found.kind == "strptime":
        return _parse_strptime(arr, found.fmt or "")
    if found.kind in ("mdy", "dmy"):
        return _parse_fields(arr, _SLASHED_RE, day_first=found.kind == "dmy")
    if found.kind == "rfc2822":
        return _parse_fields(arr, _RFC2822_RE)
    return _parse_iso(arr)


def _epoch_us(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A timestamp or date array as int64 microseconds since the epoch (UTC), and which values
    µs cannot hold (a Parquet timestamp in seconds of year 300,000): those are invalid."""
    if pa.types.is_date(arr.type):
        days = _np(pc.cast(arr.cast(pa.date32()), pa.int32()).fill_null(0)).astype(np.int64)
        return days * 86_400_000_000, np.zeros(len(arr), dtype=bool)
    per_us = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}[arr.type.unit]
    raw = _np(arr.view(pa.int64()).fill_null(0))
    if per_us is None:
        return np.floor_divide(raw, 1000), np.zeros(len(arr), dtype=bool)
    if per_us == 1:
        return raw, np.zeros(len(arr), dtype=bool)
    limit = np.iinfo(np.int64).max // per_us
    beyond = np.abs(raw) > limit
    return np.where(beyond, 0, raw) * per_us, beyond


# --- ISO 8601 ------------------------------------------------------------------------------


def _cast_times(strings: pa.Array, zoned_first: bool) -> tuple[np.ndarray, bool] | None:
    """ISO text as µs (nulls as 0) in one cast, and whether it carries offsets: a cast to a
    zoned type succeeds only when every value has one, to a naive type only when none has."""
    kinds = [pa.timestamp("us"), pa.timestamp("us", tz="UTC")]
    if zoned_first:
        kinds.reverse()  # a failed cast costs as much as a good one: try the likely kind first
    for kind in kinds:
        try:
            return _epoch_us(pc.cast(strings, kind))[0], kind.tz is not None
        except pa.ArrowInvalid:
            continue
    return None


def _zoned(arr: pa.Array) -> np.ndarray:
    return _np(pc.match_substring_regex(arr, _ISO_ZONE_RE).fill_null(False))


def _parse_iso(arr: pa.Array) -> tuple[Parsed, np.ndarray | bool]:
    blank, present = _null_mask(arr), arr
    lengths = pc.binary_length(arr)
    if pc.min(lengths).as_py() == 0:  # empty text is as missing as a null
        empty = _np(pc.equal(lengths, 0).fill_null(False))
        blank = blank | empty
        present = pc.if_else(arrow_of(empty), pa.scalar(None, arr.type), arr)
    first = present[int(np.argmax(~blank))].as_py() if not blank.all() else ""
    cast = _cast_times(present, _zone_suffix(first))
    if cast is not None:  # clean ISO text: one cast, nothing else
        values, zoned = cast
        return Parsed(values, blank, np.zeros(len(arr), dtype=bool)), zoned
    trimmed = pc.utf8_trim_whitespace(arr)
    trimmed = pc.replace_substring_regex(trimmed, _SPACED_ZONE_RE, r"\1\2")
    missing = _missing_strings(trimmed)
    present = pc.if_else(arrow_of(missing), pa.scalar(None, pa.string()), trimmed)
    zoned = _zoned(present)
    cast = _cast_times(present, bool(zoned.any()))
    if cast is not None:
        return Parsed(cast[0], missing, np.zeros(len(arr), dtype=bool)), zoned
    # Mixed offsets or bad values: split zoned from naive, and parse what looks like ISO.
    iso = _np(pc.match_substring_regex(present, _ISO_RE).fill_null(False))
    values = np.zeros(len(arr), dtype=np.int64)
    invalid = ~missing & ~iso
    null = pa.scalar(None, pa.string())
    for part, kind in (
        (iso & ~zoned, pa.timestamp("us")),
        (iso & zoned, pa.timestamp("us", "UTC")),
    ):
        if not part.any():
            continue
        subset = pc.if_else(arrow_of(part), present, null)
        try:
            values = np.where(part, _epoch_us(pc.cast(subset, kind))[0], values)
        except pa.ArrowInvalid:  # impossible dates such as 2025-02-30: find them one by one
            for i in np.flatnonzero(part):
                parsed = _parse_one_time(present[i].as_py())
                if parsed is None:
                    invalid[i] = True
                else:
                    values[i] = parsed
    return Parsed(values, missing, invalid), zoned


def _zone_suffix(text: str) -> bool:
    """Whether ISO text ends in a zone: `Z`, `±hh:mm` or `±hhmm`."""
    if text.endswith(("Z", "z")):
        return True
    colon = len(text) > 6 and text[-6] in "+-" and text[-3] == ":"
    return colon or (len(text) > 10 and text[-5] in "+-" and text[-4:].isdigit())


def _parse_one_time(text: str) -> int | None:
    try:
        stamp = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return (stamp - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)


# --- fields: month/day/year, day/month/year, RFC 2822 ----------------------------------------


def _ints(parts: pa.StructArray, name: str, default: int = 0) -> np.ndarray:
    field = pc.struct_field(parts, name)
    field = pc.if_else(pc.equal(field, ""), pa.scalar(None, pa.string()), field)
    return _np(pc.cast(field, pa.int64()).fill_null(default))


def _parse_fields(
    arr: pa.Array, pattern: str, day_first: bool = False
) -> tuple[Parsed, np.ndarray]:
    """Dates and times whose parts a regular expression picks out, assembled with numpy: the
    same instant for the same parts, whatever the separators, AM/PM or zone spelling."""
    trimmed = pc.utf8_trim_whitespace(arr)
    missing = _missing_strings(trimmed)
    parts = pc.extract_regex(trimmed, pattern)
    matched = _np(parts.is_valid()) & ~missing
    names = [field.name for field in parts.type]
    year = _ints(parts, "y")
    if "mon" in names:
        month_text = pc.utf8_lower(pc.struct_field(parts, "mon"))
        month = _np(pc.index_in(month_text, value_set=pa.array(_MONTHS)).fill_null(-1)) + 1
        day = _ints(parts, "d")
    else:
        first, second = _ints(parts, "a"), _ints(parts, "b")
        day, month = (first, second) if day_first else (second, first)
    hour, minute, second_ = _ints(parts, "H"), _ints(parts, "M"), _ints(parts, "S")
    micro = np.zeros(len(arr), dtype=np.int64)
    if "f" in names:
        digits = pc.utf8_slice_codeunits(pc.struct_field(parts, "f"), 0, 6)
        padded = pc.utf8_rpad(digits, 6, "0")
        micro = _np(pc.cast(pc.if_else(pc.equal(digits, ""), "0", padded), pa.int64()).fill_null(0))
    ok = matched & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= day <= _days_in_month(year, np.clip(month, 1, 12))
    if "p" in names:
        meridiem = pc.utf8_lower(pc.utf8_slice_codeunits(pc.struct_field(parts, "p"), 0, 1))
        pm = _np(pc.equal(meridiem, "p").fill_null(False))
        am = _np(pc.equal(meridiem, "a").fill_null(False))
        ok &= ~(am | pm) | ((hour >= 1) & (hour <= 12))
        hour = np.where(am | pm, hour % 12 + np.where(pm, 12, 0), hour)
    ok &= (hour < 24) & (minute < 60) & (second_ < 60)
    offset, zoned = _offsets(pc.struct_field(parts, "z"))
    days = _days_from_civil(year, np.clip(month, 1, 12), day)
    seconds = days * 86_400 + hour * 3_600 + minute * 60 + second_ - offset
    values = np.where(ok, seconds * US + micro, 0)
    return Parsed(values, missing, ~missing & ~ok), zoned & ok


def _offsets(zones: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Seconds east of UTC of each zone text (`Z`, `GMT`, `+0100`, `-05:00`), and which rows
    have one."""
    text = pc.fill_null(zones, "")
    zoned = _np(pc.not_equal(text, ""))
    signed = pc.extract_regex(text, r"^(?P<s>[+-])(?P<h>[0-9]{2}):?(?P<m>[0-9]{2})?$")
    sign = np.where(_np(pc.equal(pc.struct_field(signed, "s"), "-").fill_null(False)), -1, 1)
    hours, minutes = _ints(signed, "h"), _ints(signed, "m")
    return sign * (hours * 3600 + minutes * 60), zoned


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month - 1]
    return days + ((month == 2) & leap)


# --- strptime and epoch --------------------------------------------------------------------


def _parse_strptime(arr: pa.Array, fmt: str) -> tuple[Parsed, bool]:
    trimmed = pc.utf8_trim_whitespace(arr)
    missing = _missing_strings(trimmed)
    try:
        stamps = pc.strptime(trimmed, format=fmt, unit="us", error_is_null=True)
    except pa.ArrowInvalid as exc:
        raise UsageError(f"--time-format {fmt!r}: {exc}") from None
    invalid = ~missing & _null_mask(stamps)
    return Parsed(_epoch_us(stamps)[0], missing, invalid), "%z" in fmt


def _parse_epoch(arr: pa.Array, found: TimeFormat) -> Parsed:
    """Epoch numbers in the column's unit (by magnitude when none was decided); outside the
    unit's range, negative, not whole (unless `%s` asked for epoch seconds) is invalid."""
    from .values import parse_numbers

    number = parse_numbers(arr)
    values = number.values
    unit = found.unit or epoch_unit(values[number.valid])
    ok = ~number.missing & ~number.invalid
    if unit is None:
        return Parsed(np.zeros(len(values), dtype=np.int64), number.missing, ok | number.invalid)
    _, low, high, per = next(u for u in (*EPOCH_UNITS, EPOCH_NS) if u[0] == unit)
    whole = np.floor(values) == values
    fractions = unit == "s" and found.fmt == "%s"  # only asked-for epoch seconds may have them
    ok &= (values >= low) & (values < high) & (whole | fractions)
    micros = values / 1000 if per == 0 else values * per
    result = np.where(ok, np.rint(micros), 0).astype(np.int64)
    return Parsed(result, number.missing, ~number.missing & ~ok)


def epoch_unit(values: np.ndarray) -> str | None:
    """The epoch unit whose range holds every one of these whole numbers, or None."""
    if values.size == 0 or not (np.floor(values) == values).all():
        return None
    low, high = float(values.min()), float(values.max())
    for unit, start, end, _ in (*EPOCH_UNITS, EPOCH_NS):
        if start <= low and high < end:
            return unit
    return None


# --- time zones ----------------------------------------------------------------------------


def _localise(parsed: Parsed, zoned: np.ndarray | bool, tz: str) -> Parsed:
    """Re-read naive times as wall-clock times in `tz` (values with a zone keep theirs)."""
    stamps = pa.array(parsed.values, pa.timestamp("us"))
    try:
        local = pc.assume_timezone(stamps, timezone=tz, ambiguous="earliest", nonexistent="latest")
    except pa.ArrowInvalid as exc:
        raise UsageError(f"--tz {tz!r}: {exc}") from None
    naive = ~zoned if isinstance(zoned, np.ndarray) else np.ones(len(parsed.values), dtype=bool)
    values = np.where(naive & parsed.valid, _epoch_us(local)[0], parsed.values)
    return Parsed(values, parsed.missing, parsed.invalid)


# --- deciding a column's format from a sample ------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What a sample says about a time column: the format, or why none could be chosen
    (`ambiguous`: month/day order not yet told; `unreadable`: no value fits any format),
    with the first value seen."""

    format: TimeFormat
    ambiguous: bool = False
    unreadable: bool = False
    example: str | None = None
    row: int = 0  # the example's row in the sample, from 1


FAMILIES = (("iso", _ISO_RE), ("slashed", _SLASHED_RE), ("rfc2822", _RFC2822_RE))


def decide_format(sample: pa.Array | pa.ChunkedArray, fmt: str | None = None) -> Decision:
    """The format of a time column from a sample of it (the user's --time-format if given)."""
    arr = _plain(sample)
    given = user_format(fmt)
    kind = arr.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return Decision(TimeFormat("native"))
    text = arr if pa.types.is_string(kind) or pa.types.is_large_string(kind) else None
    if text is None and (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        text = pc.cast(arr, pa.string())
    if text is None:
        return Decision(given or TimeFormat())
    trimmed = pc.utf8_trim_whitespace(text)
    filled = ~_missing_strings(trimmed)
    present = trimmed.filter(arrow_of(filled))
    example = present[0].as_py() if len(present) else None
    seen = {"example": example, "row": int(np.argmax(filled)) + 1 if filled.any() else 0}
    if given is not None:
        if len(present) and given.kind == "epoch":
            numbers = present.filter(pc.match_substring_regex(present, _NUMBER_RE))
            unit = epoch_unit(np.floor(_np(pc.cast(numbers, pa.float64()))))
            return Decision(replace(given, unit=unit or ""), **seen)
        return Decision(given, **seen)
    if not len(present):
        return Decision(TimeFormat())
    if _cast_times(present, _zone_suffix(example or "")) is not None:  # plain ISO: one cast
        return Decision(TimeFormat(), **seen)
    counts = {
        name: int(pc.sum(pc.match_substring_regex(present, pattern)).as_py() or 0)
        for name, pattern in FAMILIES
    }
    numeric = present.filter(pc.match_substring_regex(present, _NUMBER_RE))
    if len(numeric) == len(present):
        unit = epoch_unit(_np(pc.cast(numeric, pa.float64())))
        if unit is not None:
            return Decision(TimeFormat("epoch", unit=unit), **seen)
    best = max(counts, key=lambda name: counts[name])
    if counts[best] == 0:
        return Decision(TimeFormat(), unreadable=True, **seen)
    if best != "slashed":
        return Decision(TimeFormat(best), **seen)
    order = slashed_order(present)
    if order is None:
        return Decision(TimeFormat("mdy"), ambiguous=True, **seen)
    return Decision(TimeFormat(order), **seen)


def slashed_evidence(text: pa.Array | pa.ChunkedArray) -> tuple[str | None, str | None]:
    """The first date of a column that shows the day comes first (a first field above 12)
    and the first that shows the month does (a second field above 12), if any."""
    text = _plain(text)
    parts = pc.extract_regex(pc.utf8_trim_whitespace(text), _SLASHED_RE)
    first, second = _ints(parts, "a"), _ints(parts, "b")
    found = []
    for mask in (first > 12, second > 12):
        found.append(text[int(np.argmax(mask))].as_py().strip() if mask.any() else None)
    return found[0], found[1]


def slashed_order(text: pa.Array | pa.ChunkedArray) -> str | None:
    """`dmy` when the column's dates show the day comes first, `mdy` when they show the month
    does, None when no value tells; MixedOrder when the column holds both."""
    day_first, month_first = slashed_evidence(text)
    if day_first and month_first:
        raise MixedOrder(day_first, month_first)
    return "dmy" if day_first else "mdy" if month_first else None


class MixedOrder(ValueError):
    """A column holds day-first and month-first dates."""

    def __init__(self, day_first: str, month_first: str) -> None:
        super().__init__(day_first, month_first)
        self.day_first, self.month_first = day_first, month_first


def slashed_formats(example: str) -> tuple[str, str]:
    """The strptime codes for `example` read month first and day first (for messages)."""
    parts = pc.extract_regex(pa.array([example.strip()]), _SLASHED_RE)[0].as_py() or {}
    date = "%d/%m/%Y"
    if "." in example.split(" ")[0]:
        date = "%d.%m.%Y"
    clock = ""
    if parts.get("H"):
        clock = " %I:%M" if parts.get("p") else " %H:%M"
        clock += ":%S" if parts.get("S") else ""
        clock += " %p" if parts.get("p") else ""
    month_first = date.replace("%d", "#").replace("%m", "%d").replace("#", "%m")
    return month_first + clock, date + clock
