"""Where a CSV's quoted values are, as pyarrow's parser reads them: a quote opens a quoted value
only at the start of a field; inside one, `""` is a quote and any other quote closes it; a quote
anywhere else is a character like any other (`27" monitor`).

Counting quotes (an even number before a place: outside) is right only while every quote the
count takes for an opening one stands at the start of a field. `QuoteScan` checks that,
vectorised, and from the first quote that breaks it follows the quotes one by one (exact, and
slower: only files with such stray quotes pay for it). `parity_breaks` is the check alone, for a
byte range whose parity at its start is not yet known (the byte-range split)."""

from __future__ import annotations

import numpy as np

QUOTE = 34


def field_starts(delimiter: str) -> np.ndarray:
    """A table of the bytes after which a field starts: the delimiter and line ends."""
    table = np.zeros(256, dtype=bool)
    table[[ord(delimiter), 10, 13]] = True
    return table


def _before(data: np.ndarray, positions: np.ndarray, previous: int) -> np.ndarray:
    """The byte before each position (`previous` for position 0)."""
    out = data[np.maximum(positions - 1, 0)]
    if positions.size and positions[0] == 0:
        out[0] = previous
    return out


def _breaks(prev: np.ndarray, starts: np.ndarray, parity: int) -> np.ndarray:
    """Quotes (by index) that counting takes for openings (an even number of quotes before, given
    `parity` before the first) but that do not stand at a field start, nor after a quote (the
    second of a `""` inside a value)."""
    opening = (np.arange(prev.size) + parity) % 2 == 0
    return np.flatnonzero(opening & ~starts[prev] & (prev != QUOTE))


def parity_breaks(
    data: np.ndarray, previous: int, starts: np.ndarray, parity: int
) -> tuple[int, bool, bool]:
    """For a block of bytes: its number of quotes, and whether counting breaks in it if the
    number of quotes before it has the `parity` given (first flag) or the other (second)."""
    positions = np.flatnonzero(data == QUOTE)
    if not positions.size:
        return 0, False, False
    prev = _before(data, positions, previous)
    misplaced = ~starts[prev] & (prev != QUOTE)  # not at a field start, nor after a quote
    first, second = misplaced[parity::2].any(), misplaced[1 - parity :: 2].any()
    return int(positions.size), bool(first), bool(second)


class QuoteScan:
    """Follows a stream of CSV bytes, fed in blocks, and tells whether its end is inside a
    quoted value. `exact` turns true at the first quote counting would misread."""

    def __init__(self, delimiter: str, previous: int = 10) -> None:
        self._starts = field_starts(delimiter)
        self.quotes = 0  # while counting
        self.exact = False
        self._inside = False  # while following
        self._waiting: int | None = None  # where a quote inside a value awaits the next byte
        self._previous = previous  # the byte before the block: the stream starts a record
        self._offset = 0

    @property
    def inside(self) -> bool:
        if not self.exact:
            return self.quotes % 2 == 1
        return self._inside and self._waiting is None  # a quote at the very end closes

    def feed(self, data: np.ndarray) -> None:
        positions = np.flatnonzero(data == QUOTE)
        if positions.size and not self.exact:
            prev = _before(data, positions, self._previous)
            broken = _breaks(prev, self._starts, self.quotes % 2)
            if broken.size:
                first = int(broken[0])
                self.quotes += first  # even: outside, at a quote that is a character
                self.exact, self._inside = True, False
                positions = positions[first:]
            else:
                self.quotes += int(positions.size)
        if self.exact:
            self._follow(data, positions)
        if data.size:
            self._previous = int(data[-1])
            self._offset += int(data.size)

    def _follow(self, data: np.ndarray, positions: np.ndarray) -> None:
        starts, offset = self._starts, self._offset
        for at in positions.tolist():
            where = offset + at
            if self._waiting is not None:
                escaped = where == self._waiting + 1
                self._waiting = None
                if escaped:  # `""` inside a value: a quote, still inside
                    continue
                self._inside = False  # the quote waiting closed the value
            if self._inside:
                self._waiting = where
            else:
                before = int(data[at - 1]) if at else self._previous
                self._inside = bool(starts[before])
        if self._waiting is not None and self._waiting < offset + data.size - 1:
            self._waiting, self._inside = None, False  # a byte other than a quote followed


def complete_records(data: bytes, delimiter: str) -> int:
    """The length of `data` up to its last line end outside a quoted value (0: none): one scan
    when the last line end is outside (nearly always), else one pass from line end to line end."""
    array = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(array == 10).tolist()
    if not ends:
        return 0
    scan = QuoteScan(delimiter)
    scan.feed(array[: ends[-1] + 1])
    if not scan.inside:
        return ends[-1] + 1
    scan, start, best = QuoteScan(delimiter), 0, 0
    for end in ends:
        scan.feed(array[start : end + 1])
        start = end + 1
        if not scan.inside:
            best = start
    return best
