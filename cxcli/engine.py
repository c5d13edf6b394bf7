"""The one pipeline every KPI runs through:

inputs → batches (only the columns needed) → --where / --since / --until
       → KPI parse (values + missing/invalid) → groups (--by, --period)
       → update partial states → merge → finalize → Report
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .changes import DEFAULT_ADJUST, GroupTests, adjust_together, change_dict
from .columns import check_duplicates, detect_column, find_column
from .definition import Kpi, Role
from .errors import ColumnNotFound, CxError, InputError, UsageError, shorten
from .formats import RangeError
from .periods import Period, parse_date, period_codes, period_label
from .readings import TIME_KEY
from .result import Quality, Report, Result
from .source import (
    CSV_BLOCK,
    BlockTooSmall,
    Input,
    ReadSettings,
    is_stream,
    open_reader,
    resolve_inputs,
    spool,
)
from .stats import ADJUSTMENTS
from .times import TimeSettings, parse_times
from .values import Parsed
from .windows import Window, default_window, explicit_window, split

if TYPE_CHECKING:  # --where is parsed only when given (its module costs ~6 ms to import)
    from .formats import Reader
    from .where import Node

GROUP_EXAMPLES = 3


@dataclass(frozen=True)
class Query:
    """Everything about a run except the KPI's own options."""

    columns: Mapping[str, str | None] = field(default_factory=dict)  # role -> column named
    by: tuple[str, ...] = ()
    period: Period | None = None
    time: str | None = None
    time_format: str | None = None  # strptime codes for non-ISO times
    tz: str | None = None  # zone of naive times (default UTC)
    since: int | None = None  # epoch µs, inclusive
    until: int | None = None  # epoch µs, exclusive
    where: str | None = None
    confidence: float = 0.95
    strict: bool = False
    top: int | None = None  # rank groups: the best and worst `top`
    min_n: int = 0  # groups with fewer used rows are marked too small to judge
    window: Window | None = None  # --from/--to of a windowed KPI
    baseline: Baseline | None = None  # --baseline: a number or a previous report
    encoding: str | None = None  # of CSV text (default UTF-8, or UTF-16 with a BOM)
    skip_bad_lines: bool = False  # skip (and count) malformed CSV lines instead of stopping
    skip_unreadable: bool = False  # unreadable files and folders a note, not an error
    sheet: str | None = None  # of a workbook: a name or a number from 1 (default: the first)
    header_rows: int | None = None  # records the header takes (default: one, or the layout's)
    max_invalid: float = 20.0  # % of the values read that may be invalid before no number is given
    profile: str | None = None  # --profile NAME|none (default: recognised by the header)
    adjust: str = DEFAULT_ADJUST  # how the run's change tests are adjusted together

    def __post_init__(self) -> None:
        if not 0 <= self.max_invalid <= 100:
            raise UsageError(f"--max-invalid {self.max_invalid:g} must be a percentage, 0 to 100")
        if self.top is not None and self.top < 1:
            raise UsageError("--top must be at least 1")
        if not 0.5 <= self.confidence < 1:
            raise UsageError(f"--confidence {self.confidence} must be in [0.5, 1), e.g. 0.95")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise UsageError("--since must be before --until")
        if self.adjust not in ADJUSTMENTS:
            raise UsageError(f"--adjust {self.adjust!r}: use one of {', '.join(ADJUSTMENTS)}")

    @property
    def needs_time(self) -> bool:
        return self.period is not None or self.since is not None or self.until is not None


def make_query(
    options: Mapping[str, Any],
    columns: Mapping[str, str | None],
    baseline: Baseline | None = None,
) -> Query:
    """A Query from option values keyed by their long names (`time_format` for
    --time-format, `from` for --from): the KPI commands and `cx report` both build it here."""
    get = options.get
    return Query(
        columns=dict(columns),
        by=tuple(get("by") or ()),
        period=Period(get("period")) if get("period") else None,
        time=get("time"),
        time_format=get("time_format"),
        tz=get("tz"),
        since=parse_date(get("since"), "--since") if get("since") else None,
        until=parse_date(get("until"), "--until") if get("until") else None,
        where=get("where"),
        confidence=get("confidence") or 0.95,
        strict=bool(get("strict")),
        top=get("top"),
        min_n=get("min_n") or 0,
        window=explicit_window(get("from"), get("to")),
        baseline=baseline,
        encoding=get("encoding"),
        skip_bad_lines=bool(get("skip_bad_lines")),
        skip_unreadable=bool(get("skip_unreadable")),
        sheet=None if get("sheet") is None else str(get("sheet")),
        header_rows=get("header_rows"),
        max_invalid=20.0 if get("max_invalid") is None else float(get("max_invalid")),
        profile=get("profile"),
        adjust=str(get("adjust") or DEFAULT_ADJUST),
    )


@dataclass(frozen=True)
class Plan:
    """Columns resolved against the first input's header, and how its time columns read."""

    roles: dict[str, str]  # role -> column
    time: str | None
    by: tuple[str, ...]
    where: Node | None
    times: TimeSettings = field(default_factory=TimeSettings)

    @property
    def columns(self) -> list[str]:
        names = [*self.roles.values(), *self.by]
        if self.time:
            names.append(self.time)
        if self.where is not None:
            from .where import columns_of

            names.extend(columns_of(self.where))
        return list(dict.fromkeys(names))


def plan_columns(
    kpi: Kpi,
    query: Query,
    header: Sequence[str],
    source: str,
    notice: Callable[[str], None],
    roles_read: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Plan:
    """Map roles (all, or those of one input), --time, --by and --where onto the header;
    `labels` holds the question text of survey columns (they may be named by it)."""
    labels = labels or {}

    def find(wanted: str, option: str) -> str:
        return find_column(wanted, header, source=source, option=option, labels=labels)

    named: dict[str, str] = {}
    found: dict[str, str] = {}
    for role in kpi.roles:
        if roles_read is not None and role.name not in roles_read:
            continue
        wanted = query.columns.get(role.name)
        if wanted:
            named[role.name] = find(wanted, role.option)
            continue
        column = detect_column(role, header, source=source, labels=labels)
        if column is not None:
            found[role.name] = column
    try:
        roles = kpi.select_roles(named, found)
    except ColumnNotFound as exc:  # name the file and what it holds
        raise ColumnNotFound(
            f"{source}: {exc.message}; columns: {', '.join(repr(c) for c in header[:40])}",
            hint=exc.hint,
        ) from None
    for role in kpi.roles:
        if role.name in roles and role.name not in named:
            column = roles[role.name]
            question = labels.get(column)
            asked = (
                f" (the question {_quoted(question)})" if question and question != column else ""
            )
            notice(f"using column {column!r} for {role.option}{asked}")
    time = None
    if query.time:
        time = find(query.time, "--time")
    elif kpi.windowed:  # its own date roles place rows in windows
        pass
    elif query.needs_time and kpi.time_role in roles:
        time = roles[kpi.time_role]
        notice(f"using column {time!r} for --time")
    elif query.needs_time:
        time_role = Role("time", "time", kpi.time_aliases)
        time = detect_column(time_role, header, source=source)
        notice(f"using column {time!r} for --time")
    by = tuple(find(b, "--by") for b in query.by)
    node = None
    if query.where:
        from .where import columns_of, parse_where, rename

        node = parse_where(query.where)
        names = {name: find(name, "--where") for name in columns_of(node)}
        node = rename(node, names)
    return Plan(roles, time, by, node)


def _quoted(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


class _Accumulator:
    """Partial states and row accounting for the whole run, overall and per group."""

    def __init__(
        self, kpi: Kpi, query: Query, plan: Plan, previous: _Accumulator | None = None
    ) -> None:
        """`previous`: the accumulator of a KPI's earlier input, whose totals carry on."""
        self.kpi, self.query, self.plan = kpi, query, plan
        self.state = kpi.init() if previous is None else previous.state
        self.quality = Quality() if previous is None else previous.quality
        self.groups: dict[tuple, Any] = {} if previous is None else previous.groups
        self.group_quality: dict[tuple, Quality] = (
            {} if previous is None else previous.group_quality
        )
        self.periods = query.period is not None and not kpi.windowed  # rows grouped by time
        self.grouped = bool(plan.by) or self.periods
        self.filtered_out = 0 if previous is None else previous.filtered_out
        self.tests = GroupTests(query.confidence, query.adjust)  # the periods' tests: results()
        # Every column a row needs to be used, in the order examples name them.
        self.checked = [(role, col) for role, col in plan.roles.items()]
        if plan.time and query.needs_time:
            self.checked.append(("time", plan.time))

    def fresh(self) -> _Accumulator:
        """An empty accumulator for the same run (a byte range parsed on another thread)."""
        return _Accumulator(self.kpi, self.query, self.plan)

    def absorb(self, other: _Accumulator, row_offset: int) -> None:
        """Merge what `other` read; its rows came `row_offset` rows later in the same file."""
        merge = self.kpi.merge
        for quality in [other.quality, *other.group_quality.values()]:
            for example in quality.examples:
                example["row"] += row_offset
        self.state = merge(self.state, other.state)
        self.quality = self.quality.merge(other.quality)
        for key, state in other.groups.items():
            mine = self.groups.get(key)
            self.groups[key] = state if mine is None else merge(mine, state)
        for key, quality in other.group_quality.items():
            mine = self.group_quality.get(key)
            self.group_quality[key] = quality if mine is None else mine.merge(quality)
        self.filtered_out += other.filtered_out

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
            batch = batch.filter(pa.array(keep))
            rows = _Rows(first_row, np.flatnonzero(keep))
            if times is not None:
                times = Parsed(times.values[keep], times.missing[keep], times.invalid[keep])
            n = batch.num_rows
            if n == 0:
                return
        roles, settings = self.plan.roles, self.plan.times
        parsed = _once(
            shared if whole else None,  # a filtered batch is this accumulator's own
            ("parse", self.kpi, tuple(roles.items()), settings),
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
        values = {role: p.values if all_used else p.values[used] for role, p in parsed.items()}
        self.state = self.kpi.update(self.state, values)
        self.quality.add(n - n_missing - n_invalid, n_missing, n_invalid)
        invalid_roles = np.array(checks) if bad.size else None
        if bad.size and self.quality.room:
            self.quality.add_examples(
                self._examples(batch, item, rows, bad[: self.quality.room], invalid_roles)
            )
        if self.grouped:
            status = np.where(invalid, 2, np.where(missing, 1, 0))
            self._feed_groups(batch, item, rows, times, used, status, values, bad, invalid_roles)

    def _feed_groups(self, batch, item, rows, times, used, status, values, bad, invalid_roles):
        group_ids, keys = self._group_ids(batch, times)
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
        if bad.size:
            order = bad[np.argsort(group_ids[bad], kind="stable")]
            sorted_ids = group_ids[order]
            starts = np.searchsorted(sorted_ids, sorted_ids, side="left")
            picked = order[(np.arange(order.size) - starts) < GROUP_EXAMPLES]
            for row, example in zip(
                picked, self._examples(batch, item, rows, picked, invalid_roles), strict=True
            ):
                self.group_quality[keys[group_ids[row]]].add_examples([example])

    def _group_ids(self, batch: pa.RecordBatch, times: Parsed | None) -> tuple[np.ndarray, list]:
        """A dense group id per row, and the group keys (by values…, period code or None)."""
        n = batch.num_rows
        ids = np.zeros(n, dtype=np.int64)
        parts: list[tuple[np.ndarray, Callable[[np.ndarray], list]]] = []
        for col in self.plan.by:
            encoded = pc.dictionary_encode(batch.column(col), null_encoding="encode")
            indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            dictionary = encoded.dictionary
            parts.append((indices, lambda idx, d=dictionary: d.take(pa.array(idx)).to_pylist()))
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

    def results(self) -> tuple[Result, GroupResults]:
        """The headline and the groups: segments (--by), each split into periods (--period) —
        rows grouped by their time, or for a windowed KPI the window cut into periods. Groups
        are finalized when read, so a million segments never sit in memory as results."""
        kpi, confidence = self.kpi, self.query.confidence
        overall = Result(kpi.finalize(kpi.view(self.state, 0), confidence), self.quality)
        # entries: (segment key, period label, state, quality, window index or None)
        entries: list[tuple[tuple, str | None, Any, Quality, int | None]] = []
        if kpi.windowed:  # segments × the periods of the window
            segments = self.groups if self.plan.by else {(): self.state}
            quality = self.group_quality if self.plan.by else {(): self.quality}
            periods = range(1, len(kpi.windows)) if self.query.period else [0]
            if self.plan.by or self.query.period:
                entries = [
                    (key, kpi.windows[i].label, segments[key], quality[key], i)
                    for key in sorted(segments, key=_sort_key)
                    for i in periods
                ]
        else:
            for key in sorted(self.groups, key=_sort_key):
                code = key[-1] if self.periods else None
                label = None if code is None else period_label(code, self.query.period)
                segment = key[:-1] if self.periods else key
                entries.append((segment, label, self.groups[key], self.group_quality[key], None))
        self.tests = self._tests(entries)
        return overall, GroupResults(entries, self._result)

    def _before(self, entries: list, index: int) -> tuple | None:
        """The entry of the period before entry `index` in the same segment, if any."""
        segment, label = entries[index][0], entries[index][1]
        before = entries[index - 1] if index else None
        if label is None or not before or before[0] != segment or before[1] is None:
            return None
        return before

    def _tests(self, entries: list) -> GroupTests:
        """Every period's change test, computed before any group is read, so that all the
        run's tests can be adjusted together (changes.adjust_together)."""
        kpi, confidence = self.kpi, self.query.confidence
        tests = GroupTests(confidence, self.query.adjust)
        if self.query.period is None:
            return tests
        for index, (_, _, state, _, window) in enumerate(entries):
            before = self._before(entries, index)
            if before is None:
                continue
            old = before[2] if before[4] is None else kpi.view(before[2], before[4])
            new = state if window is None else kpi.view(state, window)
            test = kpi.compare(old, new, confidence)
            if test is not None:
                tests.tests[index] = test
        return tests

    def _result(self, entries: list, index: int) -> Result:
        segment, label, state, quality, window = entries[index]
        kpi = self.kpi
        state = state if window is None else kpi.view(state, window)
        labels = dict(zip(self.plan.by, segment, strict=True))
        result = Result(kpi.finalize(state, self.query.confidence), quality, labels)
        if self.query.min_n:
            result.too_small = result.estimate.n < self.query.min_n
        if self.query.period is not None:
            labels["period"] = label
            result.has_change = True
            if window is not None:  # a window's period reads every row of its segment
                result.rows_of = "segment"
            before = self._before(entries, index)
            if before is not None:
                old_state = before[2] if before[4] is None else kpi.view(before[2], before[4])
                a = kpi.finalize(old_state, self.query.confidence).value
                b = result.estimate.value
                delta = None if a is None or b is None else b - a
                result.change = self.tests.change(index, before[1], delta)
        return result


@dataclass(frozen=True)
class _Rows:
    """Where a batch's rows are in their file: from `first` on, or at `first + kept[i]` once
    filters have dropped some. Row numbers in examples count data rows from 1."""

    first: int
    kept: np.ndarray | None = None

    def number(self, i: int) -> int:
        return self.first + (i if self.kept is None else int(self.kept[i])) + 1


class GroupResults(Sequence[Result]):
    """The results of the groups, each finalized when it is read."""

    def __init__(self, entries: list, build: Callable[[list, int], Result]) -> None:
        self._entries, self._build = entries, build

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self._build(self._entries, i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._build(self._entries, index)


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


def _sort_key(key: tuple) -> tuple:
    return tuple((part is None, "" if part is None else part) for part in key)


BLOCK_SIZES = (CSV_BLOCK, 32 << 20, 512 << 20)  # CSV blocks tried when a field will not fit
COALESCE_ROWS = 131_072
MAX_RANGES = 8  # byte ranges (threads) one CSV file is parsed in at most
_LOCAL_DATE = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")


@dataclass(frozen=True)
class Source:
    """One named input: its paths, globs or directories, and how they are read."""

    specs: tuple[str, ...]
    encoding: str | None = None
    skip_bad_lines: bool = False
    sheet: str | None = None
    header_rows: int | None = None
    skip_unreadable: bool = False


@dataclass
class Job:
    """One KPI to compute in a scan: `inputs` maps the KPI's input names ("" when it has one)
    to the names of the sources they read; `notice` receives messages for the user."""

    kpi: Kpi
    inputs: dict[str, str]
    query: Query = field(default_factory=Query)
    notice: Callable[[str], None] = lambda message: None
    label: str = ""  # names the job in errors when several run together
    profile: str | None = None  # the export profile applied (set by the run)


def run(
    kpi: Kpi,
    paths: Sequence[str] | Mapping[str, Sequence[str]],
    query: Query | None = None,
    notice: Callable[[str], None] = lambda message: None,
    progress: Callable[[Input, int], None] | None = None,
) -> Report:
    """Compute one KPI over files, globs, directories or `-` (stdin) in one streaming pass
    (two for a windowed KPI with no --from/--to: the first finds the latest date).

    `paths` maps input names to paths for a KPI with several inputs (`kpi.inputs`).
    `notice` receives messages for the user (columns found by alias); `progress` is called after
    each batch with the file and the rows read from it so far."""
    query = query or Query()
    named = paths if isinstance(paths, Mapping) else {"": paths}
    sources = {
        name: Source(
            tuple(specs),
            query.encoding,
            query.skip_bad_lines,
            query.sheet,
            query.header_rows,
            query.skip_unreadable,
        )
        for name, specs in named.items()
    }
    job = Job(kpi, {name: name for name in named}, query, notice)
    report = run_many([job], sources, progress)[0][0]
    if report.failure is not None:
        raise report.failure
    return report


def run_many(
    jobs: Sequence[Job],
    sources: Mapping[str, Source],
    progress: Callable[[Input, int], None] | None = None,
) -> tuple[list[Report], dict[str, list[Input]]]:
    """Compute several KPIs, reading each source once for all the KPIs that use it (plus a pass
    over only the date columns when a windowed KPI has no --from/--to); returns the reports
    and the files each source resolved to. A CSV field larger
    than the read block makes the run start again with a larger block (files only: stdin
    cannot rewind)."""
    for job in jobs:
        job.kpi.check()
        if job.kpi.windowed:
            _check_window_options(job.kpi, job.query)
    for block in BLOCK_SIZES:
        try:
            return _run_many(jobs, sources, progress, block)
        except BlockTooSmall as exc:
            stdin = any(is_stream(spec) for source in sources.values() for spec in source.specs)
            if stdin or block == BLOCK_SIZES[-1]:
                raise InputError(
                    f"{exc.message} (the largest tried is {block >> 20} MiB)",
                    hint="save stdin to a file first" if stdin else None,
                ) from None
    raise AssertionError("unreachable")


def _run_many(
    jobs: Sequence[Job],
    specs: Mapping[str, Source],
    progress: Callable[[Input, int], None] | None,
    block: int,
) -> tuple[list[Report], dict[str, list[Input]]]:
    settings = {
        name: ReadSettings(s.encoding, s.skip_bad_lines, block, s.sheet, s.header_rows)
        for name, s in specs.items()
    }
    sources = {name: resolve_inputs(s.specs, s.skip_unreadable) for name, s in specs.items()}
    dated = [j for j in jobs if j.kpi.windowed and j.query.window is None]
    for name, items in sources.items():  # stdin read twice: a date pass first
        if any(name in j.inputs.values() for j in dated) and any(i.is_stdin for i in items):
            sources[name] = [spool(i) for i in items]
    readers: dict[int, Reader] = {}  # the reader that read the header reads the data
    for name, items in sources.items():
        readers[id(items[0])] = open_reader(items[0], settings[name])
    plans = []
    for job in jobs:
        with _named(job):
            _apply_profile(job, sources, readers)
            plans.append(_plan_job(job, sources, readers))
    kpis = [
        job.kpi.bind({r: c for p in plan.values() for r, c in p.roles.items()})
        for job, plan in zip(jobs, plans, strict=True)
    ]
    samples: dict[tuple[str, tuple[str, ...]], pa.Table] = {}
    for i, job in enumerate(jobs):
        with _named(job):
            kpis[i], plans[i] = _fit_job(
                kpis[i], job, plans[i], sources, readers, settings, samples
            )
    latest = _latest_dates(
        [(kpis[i], jobs[i], plans[i]) for i, job in enumerate(jobs) if job in dated],
        sources,
        readers,
        settings,
    )
    for i, job in enumerate(jobs):
        if kpis[i].windowed:
            window = job.query.window or _default_window(kpis[i], job, plans[i], sources, latest)
            parts = split(window, job.query.period) if job.query.period else []
            kpis[i] = kpis[i].with_windows((window, *parts))
    accumulators: list[_Accumulator | None] = [None] * len(jobs)
    for name, items in sources.items():
        feeding = []
        for i, job in enumerate(jobs):
            for input_name, source in job.inputs.items():
                if source == name:
                    previous = accumulators[i]
                    plan = plans[i][input_name]
                    accumulators[i] = _Accumulator(kpis[i], job.query, plan, previous)
                    feeding.append(accumulators[i])
        if feeding:
            _scan(feeding, items, readers, progress, settings[name])
    reports = [
        _finish(kpis[i], job, plans[i], accumulators[i], sources) for i, job in enumerate(jobs)
    ]
    return reports, sources


@contextlib.contextmanager
def _named(job: Job) -> Iterator[None]:
    """Errors of a job that runs beside others (cx report) start with its label."""
    try:
        yield
    except CxError as exc:
        if not job.label:
            raise
        raise type(exc)(f"{job.label}: {exc.message}", exc.hint) from None


def _apply_profile(
    job: Job, sources: Mapping[str, list[Input]], readers: Mapping[int, Reader]
) -> None:
    """Give the job what the export profile of its input says (profiles.apply), said on stderr
    in one line."""
    from .profiles import apply

    if job.kpi.inputs:  # profiles describe one export, not a KPI of several inputs
        return
    source = next(iter(job.inputs.values()))
    header = readers[id(sources[source][0])].columns
    job.kpi, job.query, profile, said = apply(job.kpi, job.query, header)
    if profile is not None:
        job.profile = profile.name
        job.notice(f"{profile.title} (profile {profile.name}): {', '.join(said) or 'recognised'}")


def _plan_job(job: Job, sources: Mapping[str, list[Input]], readers: Mapping[int, Reader]):
    """The columns of each of the job's inputs, with the KPI's segment role as --by."""
    kpi, query = job.kpi, job.query
    plans: dict[str, Plan] = {}
    for input_name, source in job.inputs.items():
        roles = kpi.inputs.get(input_name) if input_name else None
        first = sources[source][0]
        reader = readers[id(first)]
        try:
            plans[input_name] = plan_columns(
                kpi, query, reader.columns, first.path, job.notice, roles, reader.labels
            )
        except ColumnNotFound as exc:
            sheets = getattr(reader, "sheets", ())
            if len(sheets) < 2:
                raise
            listed = ", ".join(f"{i} {n!r}" for i, n in enumerate(sheets, start=1))
            raise ColumnNotFound(
                f"{exc.message} (in sheet {reader.sheet_name!r})",  # type: ignore[attr-defined]
                hint=f"the workbook has the sheets {listed}: choose one with --sheet",
            ) from None
    segment = kpi.segment_role
    if segment and not query.by:
        if all(segment in plan.roles for plan in plans.values()):
            plans = {n: replace(p, by=(p.roles[segment],)) for n, p in plans.items()}
        elif any(segment in plan.roles for plan in plans.values()):
            job.notice(f"--{segment} is not in every input: results are not split by it")
    return plans


def _fit_job(
    kpi: Kpi,
    job: Job,
    plans: dict[str, Plan],
    sources: Mapping[str, list[Input]],
    readers: Mapping[int, Reader],
    settings: Mapping[str, ReadSettings],
    samples: dict[tuple[str, tuple[str, ...]], pa.Table],
) -> tuple[Kpi, dict[str, Plan]]:
    """The KPI fitted to a sample of each input's first rows, and how each input's time
    columns read (see readings.py); samples are shared by the jobs reading the same columns."""
    from .readings import fit

    fitted = {}
    for input_name, source in job.inputs.items():
        plan, items = plans[input_name], sources[source]
        key = (source, tuple(plan.columns))
        if key not in samples:
            samples[key] = readers[id(items[0])].sample(plan.columns)
        table = samples[key]
        by_role = {role: table.column(column) for role, column in plan.roles.items()}
        time = plan.time if plan.time and job.query.needs_time else None
        if time:
            by_role[TIME_KEY] = table.column(time)
        kpi, times = fit(
            kpi,
            by_role,
            plan.roles,
            fmt=job.query.time_format,
            tz=job.query.tz,
            time_column=time,
            notice=job.notice,
            source=items[0].path,
            whole_column=lambda column, i=items, s=settings[source]: _day_order(i, column, s),
        )
        fitted[input_name] = replace(plan, times=times)
    return kpi, fitted


def _day_order(items: list[Input], column: str, settings: ReadSettings) -> str | None:
    """Whether a column's `03/04/2025` dates are day or month first, from every value of it:
    a pass over that column alone (stdin cannot be read twice: None)."""
    from .times import MixedOrder, slashed_evidence

    if any(item.is_stdin for item in items):
        return None
    day_first = month_first = None
    for item in items:
        for batch in open_reader(item, settings).batches([column]):
            day, month = slashed_evidence(batch.column(column))
            day_first, month_first = day_first or day, month_first or month
        item.passes += 1
        item.rows = item.skipped = 0  # counted again by the main pass
        item.skipped_rows.clear()
    if day_first and month_first:
        raise MixedOrder(day_first, month_first)
    return "dmy" if day_first else "mdy" if month_first else None


def _finish(
    kpi: Kpi,
    job: Job,
    plans: dict[str, Plan],
    acc: _Accumulator | None,
    sources: Mapping[str, list[Input]],
) -> Report:
    """The report of one job once every source has been read."""
    assert acc is not None
    query = job.query
    kpi = acc.kpi = kpi.settle(acc.state)
    overall, groups = acc.results()
    plan = next(iter(plans.values()))
    columns = {r: c for p in plans.values() for r, c in p.roles.items()}
    params: dict[str, Any] = {role.name: columns.get(role.name) for role in kpi.roles}
    params.update({old: columns.get(role.name) for role in kpi.roles for old in role.former})
    params["profile"] = job.profile
    params.update(kpi.params())
    params.update(
        {
            "by": list(plan.by),
            "period": str(query.period) if query.period else None,
            "time": plan.time,
            "where": query.where,
            "confidence": query.confidence,
            "adjust": query.adjust,
        }
    )
    if kpi.windowed:
        params["from"], params["to"] = kpi.windows[0].iso()
    inputs = [i for source in job.inputs.values() for i in sources[source]]
    if query.strict and overall.estimate.n == 0:
        raise InputError(f"{inputs[0].path}: no valid values to compute {kpi.name} from (--strict)")
    notes = _notes(inputs, overall)
    if overall.quality.invalid and kpi.invalid_rule:
        notes.append(kpi.invalid_rule)
    failure = _too_invalid(overall, query.max_invalid, inputs[0].path)
    if failure is not None:  # the rest would give a number that misleads: none is given
        e = overall.estimate
        overall = Result(replace(e, value=None, ci=None), overall.quality)
    if failure is not None:
        notes.append(f"no value: {failure.message}")
    report = Report(kpi, overall, groups, params, inputs, query.confidence, acc.filtered_out, notes)
    report.failure = failure
    report.spread = kpi.spread(acc.state)
    if query.top is not None:
        report.ranking = rank(groups, query.top, kpi.higher_is_better)
    if query.baseline is not None:
        report.baseline = versus_baseline(
            kpi, kpi.view(acc.state, 0), overall.estimate, query.baseline, query.confidence
        )
    report.tests = acc.tests
    singles = [(report.baseline, query.confidence)] if report.baseline else []
    report.adjusted = (adjust_together([acc.tests], singles, query.adjust), query.adjust)
    return report


def _too_invalid(overall: Result, limit: float, source: str) -> InputError | None:
    """More than `limit` % of the values a KPI read invalid (missing answers do not count:
    a question many skip is normal): the error that says so, with the column and examples."""
    quality = overall.quality
    read = quality.used + quality.invalid
    if not quality.invalid or 100 * quality.invalid <= limit * read:
        return None
    examples = quality.examples
    column = examples[0]["column"] if examples else "?"
    shown = ", ".join(f"row {e['row']} {shorten(e['value'])}" for e in examples[:3])
    first = examples[0] if examples else {}
    return InputError(
        f"{source}: column {column!r}: {quality.invalid:,} of the {read:,} values read "
        f"({100 * quality.invalid / read:.0f}%) are invalid, e.g. {shown}; a number from the "
        "rest would mislead",
        hint=f"fix or name the column's format; --max-invalid {min(100, round(limit))} is the "
        "limit (100 turns it off)",
        file=first.get("file", source),
        row=first.get("row"),
        column=first.get("column"),
        value=first.get("value"),
    )


@dataclass(frozen=True)
class Baseline:
    """--baseline: a number, or the headline result of a previous JSON report of the KPI."""

    value: float
    source: str
    result: Mapping[str, Any] | None = None


def previous_baseline(data: Any, kpi_name: str, source: str) -> Baseline:
    """A baseline from an earlier result of the KPI (its JSON), named `source` in messages."""
    if not isinstance(data, Mapping) or data.get("kpi") != kpi_name:
        raise UsageError(f"--baseline {source}: not a cx {kpi_name} report")
    if not isinstance(data.get("value"), int | float):
        raise UsageError(f"--baseline {source}: the report has no value to compare with")
    return Baseline(float(data["value"]), source, data)


def versus_baseline(
    kpi: Kpi, view: Any, estimate: Any, baseline: Baseline, confidence: float
) -> dict[str, Any]:
    """The change from the baseline, and whether it is real: a two-sample test against a
    previous report (for the KPIs that rebuild one from its details; adjusted later with the
    run's other tests); against a bare number, or a report with no test, whether the number
    lies outside this run's confidence interval."""
    value = estimate.value
    delta = None if value is None else value - baseline.value
    test = None
    if value is not None and baseline.result is not None:
        before = kpi.from_result(baseline.result)
        test = None if before is None else kpi.compare(before, view, confidence)
    change = change_dict(
        f"baseline {baseline.value:g}", delta, test, None, DEFAULT_ADJUST, confidence
    )
    out: dict[str, Any] = {"vs": change.pop("vs"), "value": baseline.value}
    out.update(source=baseline.source, **change, declined=None)
    if value is None:
        return out
    if test is None and estimate.ci is not None:  # a bare number: is it outside the interval?
        out["significant"] = not estimate.ci[0] <= baseline.value <= estimate.ci[1]
    out["declined"] = value < baseline.value if kpi.higher_is_better else value > baseline.value
    return out


def _notes(inputs: list[Input], overall: Result) -> list[str]:
    """What the report should say about the run as a whole."""
    notes = []
    if sum(i.rows for i in inputs) == 0:
        notes.append("the input has no data rows")
    elif overall.quality.rows == 0:
        notes.append("every row was filtered out")
    local_dates = [
        e for e in overall.quality.examples if _LOCAL_DATE.match(str(e["value"]).strip())
    ]
    if local_dates:
        example = local_dates[0]
        notes.append(
            f"{example['column']} holds dates like {example['value']!r}, which are not ISO "
            "8601: give their format with --time-format, e.g. '%d/%m/%Y' or '%m/%d/%Y %H:%M'"
        )
    notes.extend(note for i in inputs for note in i.notes)
    skipped = sum(i.skipped for i in inputs)
    if skipped:
        rows = [f"{i.path} row {r}" for i in inputs for r in i.skipped_rows][:5]
        notes.append(
            f"{skipped} malformed lines skipped (--skip-bad-lines), e.g. {', '.join(rows)}"
        )
    return notes


def _as_py(scalar: pa.Scalar) -> Any:
    """A cell as Python, or as its raw number and type when Python cannot hold it (a Parquet
    timestamp of year 300,000)."""
    try:
        return scalar.as_py()
    except (OverflowError, ValueError, OSError):
        return f"{getattr(scalar, 'value', scalar)} ({scalar.type})"


def _scan(
    accs: list[_Accumulator],
    items: list[Input],
    readers: dict[int, Reader],
    progress: Callable[[Input, int], None] | None,
    settings: ReadSettings,
) -> None:
    """Feed every batch of one source's files to each accumulator that reads it: one pass
    over the union of the columns they need."""
    needed = list(dict.fromkeys(c for acc in accs for c in acc.plan.columns))
    workers = os.cpu_count() or 1
    for item in items:
        reader = readers.pop(id(item), None) or open_reader(item, settings)
        missing = [c for c in needed if c not in reader.columns]
        if missing:
            raise InputError(
                f"{item.path}: column {missing[0]!r} is missing (found in {items[0].path})",
                hint="every file of one input needs the same columns",
            )
        check_duplicates(reader.renamed, needed, item.path)
        item.passes += 1
        # Row numbers in --strict errors and skipped lines must be global: one stream then.
        exact_rows = any(acc.query.strict for acc in accs) or settings.skip_bad_lines
        ranges = None if exact_rows else reader.ranges(min(workers, MAX_RANGES))
        if ranges:
            _scan_ranges(accs, reader, item, needed, ranges, progress)
            continue
        first_row = 0
        for batch in _coalesce(reader.batches(needed)):
            if not first_row:
                _check_types(batch, item)
            shared: dict = {}
            for acc in accs:
                acc.feed(batch, item, first_row, shared)
            first_row += batch.num_rows
            if progress is not None:
                progress(item, first_row)


def _scan_ranges(
    accs: list[_Accumulator],
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


def _coalesce(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Batches of about COALESCE_ROWS rows: a CSV block gives ~10k, and each batch costs a
    fixed number of compute calls, so fewer, larger batches are faster (the copy is cheap: only
    the columns a KPI reads)."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= COALESCE_ROWS:
            yield pending[0] if len(pending) == 1 else pa.concat_batches(pending)
            pending, rows = [], 0
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


def _check_window_options(kpi: Kpi, query: Query) -> None:
    if query.time or query.since is not None or query.until is not None:
        raise UsageError(
            f"cx {kpi.name} is measured over a window: use --from and --to "
            "(--time, --since and --until do not apply)"
        )


def _latest_dates(
    dated: list[tuple[Kpi, Job, dict[str, Plan]]],
    sources: Mapping[str, list[Input]],
    readers: dict[int, Reader],
    settings: Mapping[str, ReadSettings],
) -> dict[tuple[str, str], int]:
    """The latest date in each (source, column) that places a default window: one pass per
    source over only those columns, shared by every windowed KPI that reads it, each column
    read as the run reads it (its format, --time-format, --tz)."""
    wanted: dict[str, dict[str, tuple[TimeSettings, str]]] = {}
    for kpi, job, plans in dated:
        for input_name, source in job.inputs.items():
            plan = plans[input_name]
            for role in kpi.window_roles:
                if role in plan.roles:
                    wanted.setdefault(source, {}).setdefault(plan.roles[role], (plan.times, role))
    latest: dict[tuple[str, str], int] = {}
    for source, columns in wanted.items():
        for item in sources[source]:
            reader = readers.pop(id(item), None) or open_reader(item, settings[source])
            item.passes += 1
            for batch in reader.batches(list(columns)):
                for column, (times, role) in columns.items():
                    parsed = parse_times(batch.column(column), times, role)
                    if parsed.valid.any():
                        top = int(parsed.values[parsed.valid].max())
                        old = latest.get((source, column))
                        latest[(source, column)] = top if old is None else max(old, top)
            item.rows = item.skipped = 0  # counted again by the main pass
            item.skipped_rows.clear()
    return latest


def _default_window(
    kpi: Kpi,
    job: Job,
    plans: dict[str, Plan],
    sources: Mapping[str, list[Input]],
    latest: Mapping[tuple[str, str], int],
) -> Window:
    """The last complete month the window roles' columns reach (windows.default_window)."""
    found = [
        latest[(source, plans[input_name].roles[r])]
        for input_name, source in job.inputs.items()
        for r in kpi.window_roles
        if r in plans[input_name].roles and (source, plans[input_name].roles[r]) in latest
    ]
    if not found:
        first = sources[next(iter(job.inputs.values()))][0].path
        raise InputError(
            f"{first}: no valid dates to place the default window",
            hint="give the window with --from and --to",
        )
    return default_window(max(found))


def rank(groups: Sequence[Result], top: int, higher_is_better: bool) -> dict[str, Any]:
    """The best and the worst `top` groups by value; groups marked too small are left out."""
    judged = [g for g in groups if g.estimate.value is not None and not g.too_small]
    ordered = sorted(judged, key=lambda g: g.estimate.value, reverse=higher_is_better)

    def entry(group: Result) -> dict[str, Any]:
        return {"key": group.key, "value": group.estimate.value, "n": group.estimate.n}

    return {
        "top": top,
        "best": [entry(g) for g in ordered[:top]],
        "worst": [entry(g) for g in reversed(ordered[-top:])] if ordered else [],
        "too_small": sum(1 for g in groups if g.too_small),
    }
