"""The fragment function: one file (or some Parquet row groups of one) → accumulators.

A `Fragment` names what to read and for which KPIs, with nothing that cannot be pickled (paths
and URIs, not open files or filesystem objects, which would carry credentials), so the local
engine, a process pool and Dask workers all run the same `scan`; an `Accumulator` holds the
partial states and the row accounting, overall and per group, and merges with another.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import check_duplicates
from .definition import ROW_KEY, Kpi
from .errors import InputError, shorten
from .formats import RangeError
from .periods import period_codes
from .planning import Plan, Query
from .readings import TIME_KEY
from .result import Quality
from .source import Input, ReadSettings, open_reader
from .times import parse_times
from .values import Parsed, arrow_of, rows_of

if TYPE_CHECKING:
    from .formats import Reader

GROUP_EXAMPLES = 3
COALESCE_ROWS = 131_072
COALESCE_BYTES = 3 << 20  # ... or fewer: ART's and grouped runs' peak RSS -24 MB, at +0-6% time
MAX_RANGES = 8  # byte ranges (threads) one CSV file is parsed in at most


@dataclass(frozen=True)
class Reading:
    """One accumulator's worth of a fragment: the KPI (bound to its columns, with its windows),
    the run's query, and the plan of the input the fragment belongs to."""

    job: int  # which of the run's KPIs
    kpi: Kpi
    query: Query
    plan: Plan


@dataclass(frozen=True)
class Fragment:
    """A file, the row groups [first, last) of a Parquet file, or a byte range of a CSV file,
    read once for `readings`. A byte range's row numbers count from its start: the merge adds
    the rows of the ranges before it (Scanned.merge's `row_offset`)."""

    item: Input
    settings: ReadSettings
    readings: tuple[Reading, ...]
    row_groups: tuple[int, int] | None = None
    first_row: int = 0  # the file's rows before the fragment (row numbers in examples)
    byte_range: tuple[int, int] | None = None  # [start, end) of a CSV file (reader.ranges)

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(c for r in self.readings for c in r.plan.columns))


@dataclass
class Scanned:
    """What fragments give back: an accumulator per KPI of the run (by its index), and what
    was read of each fragment (its index, rows, malformed lines skipped and their rows, notes).
    Two merge in the order they were read, so row numbers and examples come out as in one
    pass."""

    accumulators: dict[int, Accumulator]
    reads: list[tuple[int, int, int, list[int], list[str]]] = field(default_factory=list)

    def merge(self, later: Scanned, row_offset: int = 0) -> Scanned:
        """`row_offset`: the rows of its file before `later` (a byte range's)."""
        accs = dict(self.accumulators)
        for job, acc in later.accumulators.items():
            mine = accs.get(job)
            if mine is None:
                accs[job] = acc
                _shift(acc, row_offset)
            else:
                mine.absorb(acc, row_offset)
        return Scanned(accs, self.reads + later.reads)


def one_stream(readings: Sequence[Reading], settings: ReadSettings) -> bool:
    """Whether a file's rows must be counted in one stream (not cut into byte ranges): for
    row numbers in --strict errors and skipped lines, and for a row-keyed KPI's keys."""
    return settings.skip_bad_lines or any(r.query.strict or r.kpi.row_keyed for r in readings)


def scan(
    fragment: Fragment,
    index: int = 0,
    reader: Reader | None = None,
    progress: Callable[[Input, int], None] | None = None,
    threads: int | None = None,
) -> Scanned:
    """Feed every batch of the fragment to a fresh accumulator per reading: one pass over the
    union of the columns they need. `index` numbers the fragment in the run; `reader`: the
    file already opened (stdin: its header was read); `threads`: the byte ranges one CSV
    file may be parsed in (default: one per CPU)."""
    item = replace(fragment.item, rows=0, skipped=0, skipped_rows=[], notes=[])
    accs = [Accumulator(r.kpi, r.query, r.plan) for r in fragment.readings]
    needed = fragment.columns
    if reader is None:
        reader = open_reader(item, fragment.settings)
    else:
        reader.item = item
    absent = [c for c in needed if c not in reader.columns]
    if absent and len(absent) == len(needed):
        raise InputError(
            f"{item.path}: none of the columns {', '.join(map(repr, needed))} is in the file",
            hint="every file of one input needs the columns the KPI reads",
        )
    if absent:  # schema drift: a column added later in the files' history reads as missing
        needed = [c for c in needed if c not in absent]
        said = ", ".join(map(repr, absent))
        item.notes.append(f"{item.path} has no column {said}: its rows read it as missing")
    check_duplicates(reader.renamed, needed, item.path)
    exact_rows = one_stream(fragment.readings, fragment.settings)
    workers = threads or os.cpu_count() or 1
    ranges = None
    whole = fragment.row_groups is None and fragment.byte_range is None
    if not exact_rows and whole and workers > 1:
        ranges = reader.ranges(min(workers, MAX_RANGES))
    if ranges and not absent:
        _scan_ranges(accs, reader, item, needed, ranges, progress)
    else:
        first_row = fragment.first_row
        if fragment.row_groups is not None:
            batches = reader.group_batches(needed, *fragment.row_groups)  # type: ignore[attr-defined]
        elif fragment.byte_range is not None:
            batches = _counted(reader.range_batches(needed, *fragment.byte_range), item, index)
        else:
            batches = reader.batches(needed)
        for batch in _coalesce(batches):
            if absent:
                batch = _with_nulls(batch, absent)
            if first_row == fragment.first_row:
                _check_types(batch, item)
            shared: dict = {}
            for acc in accs:
                acc.feed(batch, item, first_row, shared)
            first_row += batch.num_rows
            if progress is not None:
                progress(fragment.item, first_row)
    done: dict[int, Accumulator] = {}
    for reading, acc in zip(fragment.readings, accs, strict=True):
        if reading.job in done:  # two inputs of one KPI in the same file
            done[reading.job].absorb(acc)
        else:
            done[reading.job] = acc
    return Scanned(done, [(index, item.rows, item.skipped, item.skipped_rows, item.notes)])


class Accumulator:
    """Partial states and row accounting for the whole run, overall and per group."""

    def __init__(self, kpi: Kpi, query: Query, plan: Plan) -> None:
        self.kpi, self.query, self.plan = kpi, query, plan
        self.state = kpi.init()
        self.quality = Quality()
        self.groups: dict[tuple, Any] = {}
        self.group_quality: dict[tuple, Quality] = {}
        self.periods = query.period is not None and not kpi.windowed  # rows grouped by time
        self.grouped = bool(plan.by) or self.periods or kpi.category_key is not None
        self.filtered_out = 0
        # Every column a row needs to be used, in the order examples name them.
        self.checked = [(role, col) for role, col in plan.roles.items()]
        if plan.time and query.needs_time:
            self.checked.append(("time", plan.time))

    def fresh(self) -> Accumulator:
        """An empty accumulator for the same run (a byte range parsed on another thread)."""
        return Accumulator(self.kpi, self.query, self.plan)

    def absorb(self, other: Accumulator, row_offset: int = 0) -> None:
        """Merge what `other` read after this one: later in the run, or `row_offset` rows
        later in the same file (its examples' rows are shifted by that)."""
        merge = self.kpi.merge
        _shift(other, row_offset)
        self.state = merge(self.state, other.state)
        self.quality = self.quality.merge(other.quality)
        for key, state in other.groups.items():
            mine = self.groups.get(key)
            self.groups[key] = state if mine is None else merge(mine, state)
        for key, quality in other.group_quality.items():
            mine = self.group_quality.get(key)
            self.group_quality[key] = quality if mine is None else mine.merge(quality)
        self.filtered_out += other.filtered_out

    def shards(self, n: int) -> list[Accumulator]:
        """This accumulator cut into `n` by the KPI's shards (Kpi.shard); the row accounting
        goes with the first."""
        kpi = self.kpi
        out = [Accumulator(kpi, self.query, self.plan) for _ in range(n)]
        for part, state in zip(out, kpi.shard(self.state, n), strict=True):
            part.state = state
        for key, state in self.groups.items():
            for part, piece in zip(out, kpi.shard(state, n), strict=True):
                part.groups[key] = piece
        out[0].quality, out[0].group_quality = self.quality, self.group_quality
        out[0].filtered_out = self.filtered_out
        for part in out[1:]:
            part.group_quality = {key: Quality(limit=GROUP_EXAMPLES) for key in self.groups}
        return out

    def prepare(self) -> Accumulator:
        """A merged shard made ready to be joined (Kpi.prepare, on its worker); its states
        stay mergeable only when the run writes them (--emit-state)."""
        keep, prepare = self.query.emit_state is not None, self.kpi.prepare
        self.state = prepare(self.state, keep)
        self.groups = {key: prepare(state, keep) for key, state in self.groups.items()}
        return self

    def join(self, shards: list[Accumulator]) -> Accumulator:
        """Shards of one accumulator (this the first) as one: their states joined end to end."""
        kpi = self.kpi
        out = Accumulator(kpi, self.query, self.plan)
        out.state = kpi.join([s.state for s in shards])
        keys = dict.fromkeys(k for s in shards for k in s.groups)
        for key in keys:
            out.groups[key] = kpi.join([s.groups[key] for s in shards if key in s.groups])
        out.quality, out.group_quality = self.quality, self.group_quality
        out.filtered_out = self.filtered_out
        return out

    def feed(
        self, batch: pa.RecordBatch, item: Input, first_row: int, shared: dict | None = None
    ) -> None:
        """Fold one batch in. `shared` holds what other accumulators fed the same batch have
        already parsed (the same column read the same way is parsed once per batch)."""
        n = batch.num_rows
        if n == 0:
            return
        rows = _Rows(first_row)
        times: Parsed | None = None
        keep: np.ndarray | None = None
        if self.plan.where is not None:
            from .where import evaluate

            keep = evaluate(self.plan.where, _columns(batch), n)
        if self.plan.time and self.query.needs_time:
            column, settings = self.plan.time, self.plan.times
            times = _once(
                shared,
                ("time", column, settings),
                lambda: parse_times(batch.column(column), settings, TIME_KEY),
            )
            for bound, before in ((self.query.since, True), (self.query.until, False)):
                if bound is not None:
                    outside = times.values < bound if before else times.values >= bound
                    inside = ~(times.valid & outside)
                    keep = inside if keep is None else keep & inside
        whole = keep is None or bool(keep.all())
        if not whole:
            assert keep is not None
            self.filtered_out += int(n - keep.sum())
            batch = batch.filter(arrow_of(keep))
            rows = _Rows(first_row, np.flatnonzero(keep))
            if times is not None:
                times = Parsed(times.values[keep], times.missing[keep], times.invalid[keep])
            n = batch.num_rows
            if n == 0:
                return
        roles, settings = self.plan.roles, self.plan.times
        # Time settings matter only to a KPI that reads times: `cx report`'s NPS by month
        # shares its scores' parse with the plain NPS.
        timed = any(role.kind == "time" for role in self.kpi.roles)
        parsed = _once(
            shared if whole else None,  # a filtered batch is this accumulator's own
            ("parse", self.kpi, tuple(roles.items()), settings if timed else None),
            lambda: self.kpi.parse({r: batch.column(c) for r, c in roles.items()}, settings),
        )
        missing, invalid = self.kpi.row_status(parsed)
        checks = [parsed[role].invalid for role in self.plan.roles]
        if times is not None:
            checks.append(times.invalid)
            invalid = invalid | times.invalid
            missing = (missing | times.missing) & ~invalid
        used = ~(missing | invalid)
        bad = np.flatnonzero(invalid)
        if bad.size and self.query.strict:
            example = self._examples(batch, item, rows, bad[:1], np.array(checks))[0]
            raise InputError(
                f"{item.path}: row {example['row']}, column {example['column']!r}: "
                f"invalid value {shorten(example['value'])} (--strict)"
            )
        n_missing, n_invalid = int(np.count_nonzero(missing)), int(bad.size)
        all_used = n_missing + n_invalid == 0  # no copy through the mask
        values = {r: p.values if all_used else rows_of(p.values, used) for r, p in parsed.items()}
        if self.kpi.row_keyed:
            values[ROW_KEY] = rows.keys(item, np.flatnonzero(used))
        self.state = self.kpi.update(self.state, values)
        self.quality.add(n - n_missing - n_invalid, n_missing, n_invalid)
        invalid_roles = np.array(checks) if bad.size else None
        if bad.size and self.quality.room:
            self.quality.add_examples(
                self._examples(batch, item, rows, bad[: self.quality.room], invalid_roles)
            )
        if self.grouped:
            status = np.where(invalid, 2, np.where(missing, 1, 0))
            self._feed_groups(
                batch,
                item,
                rows,
                times,
                used,
                status,
                values,
                bad,
                invalid_roles,
                parsed,
                shared if whole else None,
            )

    def _feed_groups(
        self, batch, item, rows, times, used, status, values, bad, invalid_roles, parsed, shared
    ):
        # KPIs grouped alike share the batch's group ids (unless a KPI's own categories split)
        period = self.query.period if self.periods else None
        key = ("groups", self.plan.by, period, self.plan.time, self.plan.times)
        group_ids, keys = _once(
            shared if self.kpi.category_key is None else None,
            key,
            lambda: self._group_ids(batch, times, parsed),
        )
        n_groups = len(keys)
        states = self.kpi.update_groups(values, group_ids[used], n_groups)
        counts = np.bincount(group_ids * 3 + status, minlength=n_groups * 3).reshape(n_groups, 3)
        groups, qualities, merge = self.groups, self.group_quality, self.kpi.merge
        for key, state, (used_n, missing_n, invalid_n) in zip(
            keys, states, counts.tolist(), strict=True
        ):
            old = groups.get(key)
            groups[key] = state if old is None else merge(old, state)
            quality = qualities.get(key)
            if quality is None:
                quality = qualities[key] = Quality(limit=GROUP_EXAMPLES)
            quality.add(used_n, missing_n, invalid_n)
        if bad.size:  # each group's first invalid rows, as many as it has room for
            room = np.array([qualities[key].room for key in keys])
            order = bad[np.argsort(group_ids[bad], kind="stable")]
            sorted_ids = group_ids[order]
            starts = np.searchsorted(sorted_ids, sorted_ids, side="left")
            picked = order[(np.arange(order.size) - starts) < room[sorted_ids]]
            for row, example in zip(
                picked, self._examples(batch, item, rows, picked, invalid_roles), strict=True
            ):
                self.group_quality[keys[group_ids[row]]].add_examples([example])

    def _group_ids(
        self, batch: pa.RecordBatch, times: Parsed | None, parsed: dict[str, Parsed]
    ) -> tuple[np.ndarray, list]:
        """A dense group id per row, and the group keys (by values…, the KPI's category of
        the row, period code or None)."""
        n = batch.num_rows
        ids = np.zeros(n, dtype=np.int64)
        parts: list[tuple[np.ndarray, Callable[[np.ndarray], list]]] = []
        for col in self.plan.by:
            encoded = pc.dictionary_encode(batch.column(col), null_encoding="encode")
            indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            dictionary = encoded.dictionary
            parts.append((indices, lambda idx, d=dictionary: d.take(arrow_of(idx)).to_pylist()))
        if self.kpi.category_key is not None:  # e.g. sentiment by the answer's NPS category
            codes, names = self.kpi.row_categories(parsed)
            named = (*names, None)  # code -1: no category (no valid score)
            parts.append((codes, lambda c, named=named: [named[int(x)] for x in c]))
        if self.periods:
            assert times is not None and self.query.period is not None
            codes = period_codes(times.values, self.query.period)
            valid = times.valid
            none = int(codes[valid].min()) - 1 if valid.any() else 0  # rows with no usable time
            codes = np.where(valid, codes, none)
            parts.append((codes, lambda c, none=none: [None if x == none else int(x) for x in c]))
        for values, _ in parts:
            ids = _dense(ids * (int(values.max()) - int(values.min()) + 1) + values - values.min())
        n_groups = int(ids.max()) + 1
        first = np.full(n_groups, n, dtype=np.int64)
        np.minimum.at(first, ids, np.arange(n))
        decoded = [decode(values[first]) for values, decode in parts]
        keys = [tuple(column[g] for column in decoded) for g in range(n_groups)]
        return ids, keys

    def _examples(self, batch, item, rows, picked, invalid_roles) -> list[dict[str, Any]]:
        which = np.argmax(invalid_roles[:, picked], axis=0)
        out = []
        for i, w in zip(picked, which, strict=True):
            _, column = self.checked[int(w)]
            raw = _as_py(batch.column(column)[int(i)])
            out.append(
                {
                    "row": rows.number(int(i)),
                    "column": column,
                    "value": _short(raw),
                    "file": item.path,
                }
            )
        return out


@dataclass(frozen=True)
class _Rows:
    """Where a batch's rows are in their file: from `first` on, or at `first + kept[i]` once
    filters have dropped some. Row numbers in examples count data rows from 1."""

    first: int
    kept: np.ndarray | None = None

    def number(self, i: int) -> int:
        return self.first + (i if self.kept is None else int(self.kept[i])) + 1

    def keys(self, item: Input, rows: np.ndarray) -> np.ndarray:
        """The keys (bootstrap.row_keys) of the batch's rows `rows`."""
        from .bootstrap import row_keys, source_name

        numbers = self.first + (rows if self.kept is None else self.kept[rows])
        return row_keys(source_name(item.path, item.partitions), numbers)


def _once(shared: dict | None, key: tuple, compute: Callable[[], Any]) -> Any:
    """compute(), or its result for the same key earlier in this batch. Parsed values are
    never written to, so accumulators can share them."""
    if shared is None:
        return compute()
    try:
        found = shared.get(key)
    except TypeError:  # an option value that cannot be hashed: no sharing
        return compute()
    if found is None:
        found = shared[key] = compute()
    return found


def _dense(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative codes as 0..k-1, keeping their order; no sort when codes are few."""
    top = int(codes.max()) + 1
    if top > 4 * len(codes) + 1024:
        return np.unique(codes, return_inverse=True)[1].reshape(-1)
    present = np.zeros(top, dtype=bool)
    present[codes] = True
    return (np.cumsum(present) - 1)[codes]


def _columns(batch: pa.RecordBatch) -> dict[str, pa.Array]:
    return {name: batch.column(i) for i, name in enumerate(batch.schema.names)}


def _short(value: Any, limit: int = 40) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    if isinstance(value, bytes):
        return _short(value.decode("utf-8", errors="replace"), limit)
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _as_py(scalar: pa.Scalar) -> Any:
    """A cell as Python, or as its raw number and type when Python cannot hold it (a Parquet
    timestamp of year 300,000)."""
    try:
        return scalar.as_py()
    except (OverflowError, ValueError, OSError):
        return f"{getattr(scalar, 'value', scalar)} ({scalar.type})"


class RangeFailed(Exception):
    """A parse error in a byte range run apart: its file's row is known only with the rows
    before the range, so the schedule reads the whole file again to name it."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def _counted(batches: Iterator[pa.RecordBatch], item: Input, index: int):
    """A byte range's batches, counted into `item.rows`; a parse error is RangeFailed."""
    try:
        for batch in batches:
            item.rows += batch.num_rows
            yield batch
    except RangeError:
        raise RangeFailed(index) from None


def _shift(acc: Accumulator, rows: int) -> None:
    """Row numbers of the accumulator's examples moved `rows` later in their file."""
    if not rows:
        return
    for quality in [acc.quality, *acc.group_quality.values()]:
        for example in quality.examples:
            example["row"] += rows


def row_group_parts(
    item: Input, settings: ReadSettings, parts: int
) -> list[tuple[tuple[int, int], int] | None]:
    """A Parquet file's row groups cut into up to `parts` runs of about equal rows, each with
    the rows before it: [((first, last), first_row), …]; [None] (the whole file) for one."""
    from .formats.parquet import group_runs

    sizes = open_reader(item, settings).row_groups()  # type: ignore[attr-defined]
    if len(sizes) < 2 or parts < 2:
        return [None]
    return group_runs(sizes, parts)


def _scan_ranges(
    accs: list[Accumulator],
    reader: Reader,
    item: Input,
    needed: list[str],
    ranges: list[tuple[int, int]],
    progress: Callable[[Input, int], None] | None,
) -> None:
    """Parse byte ranges of one file on their own threads (pyarrow releases the GIL), each into
    its own accumulators, then merge them in file order, shifting row numbers."""
    parts = [accs] + [[acc.fresh() for acc in accs] for _ in ranges[1:]]
    rows = [0] * len(ranges)
    failures: list[tuple[int, BaseException]] = []

    def work(index: int) -> None:
        try:
            for batch in _coalesce(reader.range_batches(needed, *ranges[index])):
                if index == 0 and not rows[0]:
                    _check_types(batch, item)
                shared: dict = {}
                for acc in parts[index]:
                    acc.feed(batch, item, rows[index], shared)
                rows[index] += batch.num_rows
                if progress is not None:
                    progress(item, sum(rows))
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append((index, exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(ranges))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        index, failure = min(failures, key=lambda f: f[0])  # the earlier ranges were complete
        if isinstance(failure, RangeError):
            raise failure.in_file(sum(rows[:index])) from None
        raise failure
    for index in range(1, len(parts)):
        for acc, part in zip(accs, parts[index], strict=True):
            acc.absorb(part, sum(rows[:index]))
    item.rows += sum(rows)


def _with_nulls(batch: pa.RecordBatch, names: list[str]) -> pa.RecordBatch:
    """The batch with a column of nulls (text) for each of `names`."""
    columns = dict(zip(batch.schema.names, batch.columns, strict=True))
    for name in names:
        columns[name] = pa.nulls(batch.num_rows, pa.string())
    return pa.RecordBatch.from_pydict(columns)


def _coalesce(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Batches of about COALESCE_ROWS rows, or COALESCE_BYTES of the columns read if less: a CSV
    block gives ~10k rows, and each batch costs a fixed number of compute calls, so fewer, larger
    batches are faster (the copy is cheap: only the columns a KPI reads), while a batch's
    temporaries grow with its bytes (two timestamp columns hold ~47 bytes a row, a score 5)."""
    pending: list[pa.RecordBatch] = []
    rows = size = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        size += batch.nbytes
        if rows >= COALESCE_ROWS or size >= COALESCE_BYTES:
            yield pending[0] if len(pending) == 1 else pa.concat_batches(pending)
            pending, rows, size = [], 0, 0
    if pending:
        yield pending[0] if len(pending) == 1 else pa.concat_batches(pending)


def _check_types(batch: pa.RecordBatch, item: Input) -> None:
    """Lists, structs, maps and raw bytes are not values cx can read: say so, naming them."""
    for column in batch.schema:
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            raise InputError(
                f"{item.path}: column {column.name!r} holds {kind} values, which cx cannot read "
                "as numbers, text or times",
                hint="point the option at a column of plain values",
            )
