"""Terminal output that fits: a rich console as wide as the terminal (rich's own measure:
`COLUMNS`, then the terminal, then 80), and tables that fold in a fixed order until they fit."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO, TypeVar

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

# How a wide table folds, one step at a time, until it fits: intervals shorten ([a, b] → a–b),
# the missing / invalid counts move to a footnote, a change keeps its arrow, size and verdict.
# In the report summary, last, a KPI's target, status and change go on a line under its name.
# Past the last step, rich narrows the columns and wraps text inside its cell.
FULL, SHORT_INTERVALS, QUALITY_FOOTNOTE, SHORT_CHANGES, JUDGEMENT_BELOW = range(5)
FOLDS = (FULL, SHORT_INTERVALS, QUALITY_FOOTNOTE, SHORT_CHANGES)

Layout = TypeVar("Layout")


def _reader_left() -> None:
    # rich exits 1 when the reader goes away (`cx … | head`); the CLI stops quietly instead,
    # as it does for the other formats.
    raise BrokenPipeError


def terminal(out: TextIO, *, color: bool = False) -> Console:
    """A console writing to `out` at the terminal's width, colour only when asked."""
    console = Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        emoji=False,
        force_jupyter=False,  # in a notebook too, write to `out` (a Result's HTML view)
    )
    console.on_broken_pipe = _reader_left  # type: ignore[method-assign]
    return console


def width_of(console: Console, table: Table) -> int:
    """The width `table` takes unfolded and unwrapped."""
    return Measurement.get(console, console.options.update_width(1_000_000), table).maximum


def fitted(
    console: Console,
    build: Callable[[int], tuple[Table, Layout]],
    folds: Sequence[int] = FOLDS,
) -> tuple[Table, Layout]:
    """The table `build(fold)` gives at the first fold that fits the console (and whatever goes
    with it: footnotes), or at the last fold, which rich then narrows to fit."""
    for fold in folds:
        table, extra = build(fold)
        if width_of(console, table) <= console.width:
            break
    return table, extra


def keep_whole(table: Table, *names: str) -> Table:
    """Numbers are never cut (`-69.6–-2…`): the named columns are at least as wide as their
    widest cell, and the other columns give way when the terminal is narrow."""
    for column in table.columns:
        if column.header in names:
            cells = [str(cell) for cell in column.cells]
            column.min_width = max((cell_len(c) for c in cells), default=0)
    return table


@contextlib.contextmanager
def reading_progress(console: Console | None = None) -> Iterator[Callable[[Any, int], None]]:
    """A transient "reading FILE: N rows" line on `console` (rich's default: the terminal, or
    a notebook), updated by the callable it gives (the engine's progress callback)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
    ) as bar:
        task = bar.add_task("reading")

        def update(item: Any, rows: int) -> None:
            bar.update(task, description=f"reading {item.path}: {rows:,} rows")

        yield update
