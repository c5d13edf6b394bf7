"""Turn raw columns of any type (CSV strings, Parquet ints, floats, timestamps) into numpy values
plus missing / invalid masks, vectorised. Nothing here raises on bad data: it is counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Spellings that mean "no answer" in exports (exact match after trimming white space).
# "#N/A" is a spreadsheet's "not available".
MISSING_SPELLINGS = (
    "",
    "NA",
    "N/A",
    "n/a",
    "na",
    "NULL",
    "null",
    "None",
    "NaN",
    "nan",
    "-",
    "#N/A",
)

_NUMBER_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_FRACTION_RE = r"^\s*[+-]?[0-9]*\.[0-9]*[1-9][0-9]*\s*$"  # a decimal that is not whole
TRUE_SPELLINGS = ("true", "yes", "y", "t", "1")
FALSE_SPELLINGS = ("false", "no", "n", "f", "0")


@dataclass(frozen=True)
class Parsed:
    """One column parsed: `values` is meaningful only where neither mask is set (a numpy
    array, or for ids an Arrow one: `parse_ids`)."""

    values: np.ndarray | pa.Array
    missing: np.ndarray
    invalid: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        return ~(self.missing | self.invalid)

    def invalid_where(self, beyond: np.ndarray) -> Parsed:
        """These values with those at `beyond` (out of range) invalid too."""
        if not beyond.any():
            return self
        return Parsed(np.where(beyond, 0, self.values), self.missing, self.invalid | beyond)


def _np(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def arrow_of(values: np.ndarray) -> pa.Array:
    """A numpy mask or array of positions as Arrow, its buffer wrapped (a mask packed to bits)
    rather than converted: pyarrow's conversion of an ndarray imports numpy.ma on first use,
    ~20 ms of a short run's start-up."""
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), values.size, [None, pa.py_buffer(bits)])
    positions = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), positions.size, [None, pa.py_buffer(positions)])


def _null_mask(arr: pa.Array) -> np.ndarray:
    if arr.null_count == 0:
        return np.zeros(len(arr), dtype=bool)
    return _np(arr.is_null())


def _plain(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


def _missing_strings(text: pa.Array) -> np.ndarray:
    """Null, empty, or a missing spelling such as NA."""
    missing = pc.is_in(text, value_set=pa.array(MISSING_SPELLINGS, pa.string()))
    return _np(pc.or_kleene(missing, text.is_null()).fill_null(True))


DICTIONARY_MIN_ROWS = 32_768  # shorter columns are parsed directly
DICTIONARY_PROBE = 16_384  # rows looked at to guess whether a column has few distinct values
DICTIONARY_MAX_SHARE = 0.15  # at most this share of the probe's values distinct


def _by_dictionary(arr: pa.Array, parse: Callable[[pa.Array], Parsed]) -> Parsed | None:
    """A long text column with few distinct values (scores, yes/no flags, counts): parse each
    distinct value once and spread the result by the dictionary indices — the same values and
    masks as parsing every row, for a fraction of the work. None when the column does not
    look like that (the caller parses it directly)."""
    if len(arr) < DICTIONARY_MIN_ROWS:
        return None
    distinct = pc.count_distinct(arr.slice(0, DICTIONARY_PROBE), mode="all").as_py()
    if distinct > DICTIONARY_MAX_SHARE * DICTIONARY_PROBE:
        return None
    encoded = pc.dictionary_encode(arr, null_encoding="encode")
    parsed = parse(encoded.dictionary)
    index = _np(encoded.indices)
    # One byte per row carries both masks: 1 missing, 2 invalid (fewer, cheaper takes).
    kinds = (parsed.missing.astype(np.uint8) | (parsed.invalid.astype(np.uint8) << 1))[index]
    return Parsed(parsed.values[index], (kinds & 1).astype(bool), kinds >= 2)


def parse_numbers(arr: pa.Array | pa.ChunkedArray) -> Parsed:
    """Any column as float64. Non-numbers are invalid; NaN and null are missing; ±inf invalid."""
    arr = _plain(arr)
    kind = arr.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        # Not `safe`: an int64 beyond 2^53 (or a uint64 beyond 2^63) rounds to the nearest float.
        values = _np(pc.cast(arr, pa.float64(), safe=False).fill_null(np.nan))
        missing, infinite = np.isnan(values), np.isinf(values)
        return Parsed(np.where(missing | infinite, 0.0, values), missing, infinite)
    if pa.types.is_boolean(kind) or pa.types.is_temporal(kind) or pa.types.is_null(kind):
        missing = _null_mask(arr)
        return Parsed(np.zeros(len(arr)), missing, ~missing)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        arr = pc.cast(arr, pa.string())
    few = _by_dictionary(arr, parse_numbers)
    if few is not None:
        return few
    # Plain numbers (most cells) are cast in one go; only the rest is trimmed and looked at.
    values = np.zeros(len(arr))
    missing = _null_mask(arr)
    plain = _np(pc.match_substring_regex(arr, _NUMBER_RE).fill_null(False))
    values[plain] = _np(pc.cast(arr.filter(arrow_of(plain)), pa.float64()))
    bad = ~plain & ~missing
    rest = np.flatnonzero(bad)
    if rest.size:
        trimmed = pc.utf8_trim_whitespace(arr.take(arrow_of(rest)))
        blank = _missing_strings(trimmed)
        number = _np(pc.match_substring_regex(trimmed, _NUMBER_RE).fill_null(False)) & ~blank
        missing[rest[blank]] = True
        bad[rest[blank | number]] = False
        values[rest[number]] = _np(pc.cast(trimmed.filter(arrow_of(number)), pa.float64()))
    infinite = np.isinf(values)
    return Parsed(np.where(infinite, 0.0, values), missing, bad | infinite)


def parse_amounts(arr: pa.Array | pa.ChunkedArray) -> Parsed:
    """Money or points: numbers, those beyond ±AMOUNT_MAX (1e15, in any currency) invalid."""
    from .sums import AMOUNT_MAX

    number = parse_numbers(arr)
    return number.invalid_where(np.abs(number.values) > AMOUNT_MAX)


def parse_integers(arr: pa.Array | pa.ChunkedArray, low: int, high: int) -> Parsed:
    """Whole numbers in [low, high]; `9.0` is 9, while `9.5`, out-of-range and text are invalid."""
    arr = _plain(arr)
    if pa.types.is_integer(arr.type):
        missing = _null_mask(arr)
        huge = np.zeros(len(arr), dtype=bool)
        if arr.type == pa.uint64():  # beyond int64: out of any scale
            top = pa.scalar(np.iinfo(np.int64).max, pa.uint64())
            huge = _np(pc.greater(arr, top).fill_null(False))
        values = _np(pc.cast(arr, pa.int64(), safe=False).fill_null(0))
        return Parsed(values, missing, ~missing & (huge | (values < low) | (values > high)))
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return _integral(parse_numbers(arr), low, high)
    if high - low <= SPELLED_SCALE:
        return _spelled_integers(arr, low, high)
    return _text_integers(arr, low, high)


SPELLED_SCALE = 100  # scales this short are parsed through a table of the texts seen
SPELLINGS_LIMIT = 1024  # texts per scale; a column with more takes the general path


@dataclass(frozen=True)
class _Spellings:
    """Texts already parsed for a short scale — its own ("0" … "10") and any other text seen
    in this process (" 9", "NA", "ten" …) — each with its value and whether it is missing or
    invalid, plus a last slot for a null cell. Replaced whole, never changed, so threads may
    share it."""

    texts: pa.Array
    values: np.ndarray  # per text, then 0 for the slot past them (a null cell)
    missing: np.ndarray  # per text, then True
    invalid: np.ndarray  # per text, then False

    @classmethod
    def scale(cls, low: int, high: int) -> _Spellings:
        scale = np.arange(low, high + 1, dtype=np.int64)
        texts = pa.array([str(v) for v in scale.tolist()], pa.string())
        none = np.zeros(scale.size, dtype=bool)
        return cls(texts, np.append(scale, 0), np.append(none, True), np.append(none, False))

    def learn(self, texts: pa.Array, parsed: Parsed) -> _Spellings:
        def joined(known: np.ndarray, new: np.ndarray) -> np.ndarray:
            return np.concatenate([known[:-1], new, known[-1:]])

        return _Spellings(
            pa.concat_arrays([self.texts, texts.cast(pa.string())]),
            joined(self.values, parsed.values),
            joined(self.missing, parsed.missing & ~parsed.invalid),
            joined(self.invalid, parsed.invalid),
        )


_SPELLINGS: dict[tuple[int, int], _Spellings] = {}


def _spelled_integers(arr: pa.Array, low: int, high: int) -> Parsed:
    """A score column: every cell is looked up among the texts already parsed for the scale,
    in one hash pass (half the cost of a dictionary encoding); only texts never seen before
    are parsed, once per process."""
    known = _SPELLINGS.get((low, high))
    if known is None:
        known = _SPELLINGS[(low, high)] = _Spellings.scale(low, high)
    found = pc.index_in(arr, value_set=known.texts)
    if found.null_count > arr.null_count:  # a text not parsed before (a null cell is missing)
        texts = pc.unique(arr.filter(pc.and_(pc.is_null(found), pc.is_valid(arr))))
        if len(known.texts) + len(texts) > SPELLINGS_LIMIT:
            return _text_integers(arr, low, high)
        known = _SPELLINGS[(low, high)] = known.learn(texts, _text_integers(texts, low, high))
        found = pc.index_in(arr, value_set=known.texts)
    # A cell not found, now only a null one, takes the slot past the texts: missing.
    position = _np(found.fill_null(len(known.texts)))
    return Parsed(known.values[position], known.missing[position], known.invalid[position])


def _text_integers(arr: pa.Array, low: int, high: int) -> Parsed:
    few = _by_dictionary(arr, lambda distinct: _text_integers(distinct, low, high))
    if few is not None:
        return few
    # Text: plain ASCII digit strings (nearly every cell of a CSV score column) are cast in one
    # go; only the rest (" 9", "9.0", "ten", "NA" …) takes the general number path.
    digits = pc.and_(
        pc.and_(pc.utf8_is_digit(arr), pc.string_is_ascii(arr)),
        pc.less_equal(pc.binary_length(arr), 18),
    ).fill_null(False)
    plain = _np(digits)
    values = np.zeros(len(arr), dtype=np.int64)
    values[plain] = _np(pc.cast(arr.filter(digits), pa.int64()))
    missing = _null_mask(arr)
    invalid = np.zeros(len(arr), dtype=bool)
    rest = np.flatnonzero(~plain & ~missing)
    if rest.size:
        texts = arr.take(arrow_of(rest))
        other = _integral(parse_numbers(texts), low, high)
        # `9.99999999999999999` reads as the float 10.0, but it is no whole number.
        fraction = _np(pc.match_substring_regex(texts, _FRACTION_RE).fill_null(False))
        values[rest], missing[rest] = other.values, other.missing
        invalid[rest] = other.invalid | (fraction & ~other.missing)
    invalid |= ~missing & ~invalid & ((values < low) | (values > high))
    return Parsed(values, missing, invalid)


def _integral(number: Parsed, low: int, high: int) -> Parsed:
    ok = (np.floor(number.values) == number.values) & (number.values >= low)
    ok &= number.values <= high
    invalid = number.invalid | (~number.missing & ~ok)
    return Parsed(np.where(ok, number.values, 0).astype(np.int64), number.missing, invalid)


def parse_booleans(arr: pa.Array | pa.ChunkedArray) -> Parsed:
    """true/false, yes/no, y/n, t/f, 1/0 in any case (and boolean or 0/1 columns) as bools."""
    arr = _plain(arr)
    if pa.types.is_boolean(arr.type):
        missing = _null_mask(arr)
        return Parsed(_np(arr.fill_null(False)), missing, np.zeros(len(arr), dtype=bool))
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        number = parse_numbers(arr)
        ok = (number.values == 0) | (number.values == 1)
        return Parsed(number.values == 1, number.missing, number.invalid | (~number.missing & ~ok))
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        missing = _null_mask(arr)
        return Parsed(np.zeros(len(arr), dtype=bool), missing, ~missing)
    few = _by_dictionary(arr, parse_booleans)
    if few is not None:
        return few
    text = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    missing = _missing_strings(pc.utf8_trim_whitespace(arr))
    true = _np(pc.is_in(text, value_set=pa.array(TRUE_SPELLINGS)).fill_null(False))
    false = _np(pc.is_in(text, value_set=pa.array(FALSE_SPELLINGS)).fill_null(False))
    return Parsed(true, missing, ~missing & ~true & ~false)


def parse_flags_or_counts(arr: pa.Array | pa.ChunkedArray) -> Parsed:
    """A flag (true/false, yes/no, 1/0 … as `parse_booleans`) or a count of times (Zendesk's
    `Reopens`: 0, 1, 2 …), more than 0 being true; a negative or fractional count is invalid."""
    flag = parse_booleans(arr)
    if not flag.invalid.any():
        return flag
    count = parse_integers(arr, 0, 2**53)
    counted = flag.invalid & count.valid
    values = np.where(counted, count.values > 0, flag.values)
    return Parsed(values, flag.missing, flag.invalid & ~counted)


def parse_ids(arr: pa.Array | pa.ChunkedArray, arrow: bool = False) -> Parsed:
    """Ids as trimmed text, so that 123 and " 123" are one customer; empty is missing. The
    values are Python strings (numpy objects), or with `arrow` the Arrow text itself, for a
    KPI that only hashes them (no Python object per row: see `rows_of`)."""
    arr = _plain(arr)
    text = pc.utf8_trim_whitespace(arr if pa.types.is_string(arr.type) else arr.cast(pa.string()))
    missing = _np(pc.or_kleene(text.is_null(), pc.equal(text, "")).fill_null(True))
    values = text if arrow else np.asarray(text, dtype=object)
    return Parsed(values, missing, np.zeros(len(text), dtype=bool))


def rows_of(values: np.ndarray | pa.Array, rows: np.ndarray) -> np.ndarray | pa.Array:
    """The values at `rows` (a boolean mask or positions): numpy values, or Arrow ones."""
    if isinstance(values, pa.Array):
        index = arrow_of(rows)
        return values.filter(index) if rows.dtype == bool else values.take(index)
    return values[rows]
