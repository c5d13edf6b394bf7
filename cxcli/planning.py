"""Planning a run: the query (everything but the KPI's own options), which columns each input
gives each role, how its time columns read, and the window a windowed KPI is measured over.
Nothing here reads more than a header, a sample, or (for a default window) the date columns."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .changes import DEFAULT_ADJUST
from .columns import detect_column, find_column
from .definition import Kpi, Role
from .errors import ColumnNotFound, InputError, UsageError
from .periods import Period, parse_date
from .readings import TIME_KEY
from .source import Input, ReadSettings, open_reader
from .stats import ADJUSTMENTS
from .times import TimeSettings, parse_times
from .windows import Window, default_window, explicit_window

if TYPE_CHECKING:  # --where is parsed only when given (its module costs ~6 ms to import)
    from .formats import Reader
    from .where import Node


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
    engine: str = "local"  # where fragments run: "local" or "dask" (schedules.py)
    jobs: int | None = None  # worker processes (--jobs; Dask: the LocalCluster's workers)
    scheduler: str | None = None  # a Dask scheduler's address (none: a LocalCluster)
    s3_endpoint: str | None = None  # an S3-compatible store's URL (default: AWS_ENDPOINT_URL)
    emit_state: str | None = None  # --emit-state FILE: the merged states are kept mergeable

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
        if self.engine not in ("local", "dask"):
            raise UsageError(f"--engine {self.engine!r}: use local or dask")
        if self.jobs is not None and self.jobs < 1:
            raise UsageError("--jobs must be at least 1")

    @property
    def needs_time(self) -> bool:
        return self.period is not None or self.since is not None or self.until is not None


def make_query(
    options: Mapping[str, Any],
    columns: Mapping[str, str | Sequence[str] | None],
    baseline: Baseline | None = None,
) -> Query:
    """A Query from option values keyed by their long names (`time_format` for
    --time-format, `from` for --from): the KPI commands and `cx report` both build it here.
    A role of several columns may be given as a list of them (the Python API, a config)."""
    get = options.get
    return Query(
        columns={role: _listed(role, value) for role, value in columns.items()},
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
        engine=str(get("engine") or "local"),
        jobs=get("jobs"),
        scheduler=get("scheduler"),
        s3_endpoint=get("s3_endpoint"),
        emit_state=get("emit_state"),
    )


@dataclass(frozen=True)
class Baseline:
    """--baseline: a number, or the headline result of a previous JSON report of the KPI."""

    value: float
    source: str
    result: Mapping[str, Any] | None = None


def _listed(role: str, value: str | Sequence[str] | None) -> str | None:
    """A role's column, or a list of columns as the comma-separated text --attributes takes."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    raise UsageError(f"{role}: a column name or a list of column names, not {value!r}")


def previous_baseline(data: Any, kpi_name: str, source: str) -> Baseline:
    """A baseline from an earlier result of the KPI (its JSON), named `source` in messages."""
    if not isinstance(data, Mapping) or data.get("kpi") != kpi_name:
        raise UsageError(f"--baseline {source}: not a cx {kpi_name} report")
    if not isinstance(data.get("value"), int | float):
        raise UsageError(f"--baseline {source}: the report has no value to compare with")
    return Baseline(float(data["value"]), source, data)


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
        if role.kind == "columns":
            chosen = _several(role, wanted, header, source, find)
            named.update({f"{role.name}[{i}]": c for i, c in enumerate(chosen)})
            continue
        if wanted:
            named[role.name] = find(wanted, role.option)
            continue
        column = detect_column(role, header, source=source, labels=labels)
        if column is not None:
            found[role.name] = column
    if roles_read is None:
        named.update({key: find(c, option) for key, (c, option) in kpi.option_columns().items()})
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


def _several(
    role: Role, wanted: str | None, header: Sequence[str], source: str, find: Callable
) -> list[str]:
    """The columns of a "columns" role: comma-separated names, or globs (`Q5_*`) matched
    against the header in its order; each column once."""
    if not wanted or not wanted.strip(","):
        raise UsageError(
            f"{role.option} is required: name the columns, e.g. {role.option} price,support "
            f"or {role.option} 'Q5_*'"
        )
    chosen: list[str] = []
    for part in (p.strip() for p in wanted.split(",")):
        if not part:
            continue
        if any(ch in part for ch in "*?["):
            matched = [c for c in header if fnmatch.fnmatchcase(c, part)]
            if not matched:
                raise ColumnNotFound.for_role(
                    source=source, role=role.option.lstrip("-"), wanted=part, available=header
                )
            chosen += matched
        else:
            chosen.append(find(part, role.option))
    return list(dict.fromkeys(chosen))


def _quoted(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclass(frozen=True)
class Source:
    """One named input: its paths, globs or directories, and how they are read."""

    specs: tuple[str, ...]
    encoding: str | None = None
    skip_bad_lines: bool = False
    sheet: str | None = None
    header_rows: int | None = None
    skip_unreadable: bool = False
    s3_endpoint: str | None = None


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


def apply_profile(
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


def plan_job(job: Job, sources: Mapping[str, list[Input]], readers: Mapping[int, Reader]):
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


def fit_job(
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


def check_window_options(kpi: Kpi, query: Query) -> None:
    if query.time or query.since is not None or query.until is not None:
        raise UsageError(
            f"cx {kpi.name} is measured over a window: use --from and --to "
            "(--time, --since and --until do not apply)"
        )


def latest_dates(
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

    def seen(source: str, column: str, parsed: Any) -> None:
        if parsed.valid.any():
            top = int(parsed.values[parsed.valid].max())
            old = latest.get((source, column))
            latest[(source, column)] = top if old is None else max(old, top)

    for source, columns in wanted.items():
        for item in sources[source]:
            reader = readers.pop(id(item), None) or open_reader(item, settings[source])
            tops = _statistics_max(reader, columns)
            if tops is not None:  # a typed Parquet column's statistics: no data read
                for column, parsed in tops.items():
                    seen(source, column, parsed)
                continue
            item.passes += 1
            for batch in reader.batches(list(columns)):
                for column, (times, role) in columns.items():
                    seen(source, column, parse_times(batch.column(column), times, role))
            item.rows = item.skipped = 0  # counted again by the main pass
            item.skipped_rows.clear()
    return latest


def _statistics_max(reader: Reader, columns: Mapping[str, tuple[TimeSettings, str]]) -> Any:
    """Each column's latest time from a Parquet file's statistics, read as the run reads it;
    None when a column is not a typed time column with statistics in every row group, or its
    maximum does not read as a valid time (a full pass then finds the latest valid one)."""
    column_max = getattr(reader, "column_max", None)
    if column_max is None:
        return None
    out = {}
    for column, (times, role) in columns.items():
        top = column_max(column)
        if top is None:
            return None
        parsed = parse_times(pa.array([top]), times, role)
        if not parsed.valid.all():
            return None
        out[column] = parsed
    return out


def window_of(
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
