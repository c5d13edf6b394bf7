"""One reader per input format — CSV (`delimited`), JSON Lines (`jsonlines`), Excel
(`workbook`), Parquet (`parquet`) — each with the same face: the header (unique column names,
survey question labels, the layout recognised), a sample of the first rows to decide how
columns read, and the data streamed as record batches of only the columns asked for."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from .header import Header

if TYPE_CHECKING:
    import pyarrow as pa

    from ..errors import InputError
    from ..source import Input, ReadSettings

SAMPLE_ROWS = 10_000  # rows a sample holds (a CSV sample is its first MiB instead)


class RangeError(Exception):
    """A parse error in a byte range, whose row is counted from the range's start:
    `in_file(rows_before)` is the error with the file's row."""

    def __init__(self, in_file: Callable[[int], InputError]) -> None:
        super().__init__("a parse error in a byte range")
        self.in_file = in_file


class Reader:
    """An opened input (one file, or stdin)."""

    header: Header

    def __init__(self, item: Input, settings: ReadSettings) -> None:
        self.item, self.settings = item, settings

    @property
    def columns(self) -> list[str]:
        return self.header.names

    @property
    def labels(self) -> dict[str, str]:
        return self.header.labels

    @property
    def renamed(self) -> dict[str, str]:
        return self.header.renamed

    @property
    def layout(self) -> str | None:
        return self.header.layout

    def batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        """The named columns, batch by batch, counting rows into `item.rows`."""
        raise NotImplementedError

    def sample(self, names: Sequence[str]) -> pa.Table:
        """The named columns of the first rows (stdin included: nothing is consumed)."""
        raise NotImplementedError

    def ranges(self, parts: int, min_bytes: int | None = None) -> list[tuple[int, int]] | None:
        """Parts of the file to read on `parts` threads or workers, each `range_batches`'
        (start, end): byte ranges of CSV and JSON Lines (a file of at least `min_bytes`; each
        format has its default), runs of row groups of Parquet; None where there are none."""
        return None

    def range_batches(self, names: Sequence[str], start: int, end: int) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def cuttable(self, parts: int, min_bytes: int, encoding: str) -> bool:
        """Whether the file may be cut into `parts` byte ranges: a local, uncompressed UTF-8
        file (not stdin) of at least `min_bytes`."""
        item = self.item
        plain = encoding.lower().replace("_", "").replace("-", "") == "utf8"
        local = not (item.is_stdin or item.remote or item.compression)
        return parts >= 2 and local and plain and (item.size or 0) >= min_bytes
