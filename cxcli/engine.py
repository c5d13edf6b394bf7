"""The one pipeline every KPI runs through:

    plan (planning.py: columns, time formats, windows)
    → fragments (fragments.py: a file or row groups → accumulators), on a schedule
      (schedules.py: in this process, a process pool with --jobs, or Dask with --engine dask)
    → merge, in the order the fragments were read
    → finalise (finalisation.py: results, ranking, baselines, changes) → Report

The schedules differ in where fragments run and nothing else: every one calls the same
`fragments.scan` and merges the same accumulators.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import CxError, InputError
from .finalisation import finish
from .fragments import MAX_RANGES, Accumulator, Fragment, Reading, Scanned
from .planning import (
    Job,
    Plan,
    Query,
    Source,
    apply_profile,
    check_window_options,
    fit_job,
    latest_dates,
    plan_job,
    window_of,
)
from .result import Report
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
from .windows import split

if TYPE_CHECKING:
    import pyarrow as pa

    from .definition import Kpi
    from .formats import Reader

__all__ = ["Query", "run", "run_many"]

BLOCK_SIZES = (CSV_BLOCK, 32 << 20, 512 << 20)  # CSV blocks tried when a field will not fit
POOL_RANGE_BYTES = 4 << 20  # --jobs cuts a CSV file this large into byte ranges


def run(
    kpi: Kpi,
    paths: Sequence[str] | Mapping[str, Sequence[str]],
    query: Query | None = None,
    notice: Callable[[str], None] = lambda message: None,
    progress: Callable[[Input, int], None] | None = None,
) -> Report:
    """Compute one KPI over files, globs, directories, datasets or `-` (stdin) in one streaming
    pass (two for a windowed KPI with no --from/--to: the first finds the latest date).

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
            query.s3_endpoint,
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
    and the files each source resolved to. A CSV field larger than the read block makes the
    run start again with a larger block (files only: stdin cannot rewind). The first job's
    query says where fragments run (--engine, --jobs, --scheduler)."""
    for job in jobs:
        job.kpi, job.query = job.kpi.adopt(job.query)
        job.kpi.check()
        if job.kpi.windowed:
            check_window_options(job.kpi, job.query)
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
    from .schedules import schedule_of

    schedule = schedule_of(jobs[0].query)
    settings = {
        name: ReadSettings(
            s.encoding, s.skip_bad_lines, block, s.sheet, s.header_rows, s.s3_endpoint
        )
        for name, s in specs.items()
    }
    sources = {
        name: resolve_inputs(s.specs, s.skip_unreadable, settings[name])
        for name, s in specs.items()
    }
    dated = [j for j in jobs if j.kpi.windowed and j.query.window is None]
    for name, items in sources.items():  # stdin read twice (a date pass, or on other workers)
        if (schedule.remote or any(name in j.inputs.values() for j in dated)) and any(
            i.is_stdin for i in items
        ):
            sources[name] = [spool(i) for i in items]
    readers: dict[int, Reader] = {}  # the reader that read the header reads the data
    for name, items in sources.items():
        readers[id(items[0])] = open_reader(items[0], settings[name])
    plans = []
    for job in jobs:
        with _named(job):
            apply_profile(job, sources, readers)
            plans.append(plan_job(job, sources, readers))
    kpis = [
        job.kpi.bind({r: c for p in plan.values() for r, c in p.roles.items()})
        for job, plan in zip(jobs, plans, strict=True)
    ]
    samples: dict[tuple[str, tuple[str, ...]], pa.Table] = {}
    for i, job in enumerate(jobs):
        with _named(job):
            kpis[i], plans[i] = fit_job(kpis[i], job, plans[i], sources, readers, settings, samples)
    latest = latest_dates(
        [(kpis[i], jobs[i], plans[i]) for i, job in enumerate(jobs) if job in dated],
        sources,
        readers,
        settings,
    )
    for i, job in enumerate(jobs):
        if kpis[i].windowed:
            window = job.query.window or window_of(kpis[i], job, plans[i], sources, latest)
            parts = split(window, job.query.period) if job.query.period else []
            kpis[i] = kpis[i].with_windows((window, *parts))
    pruned: dict[int, tuple[int, int]] = {}  # files and rows left unread by pruning, by job
    fragments = _fragments(
        jobs, kpis, plans, sources, settings, schedule.split, pruned, schedule.split_text
    )
    # every file pruned: nothing to read, an empty result
    scanned = schedule.run(fragments, readers, progress) if fragments else Scanned({})
    for index, rows, skipped, skipped_rows, notes in scanned.reads:
        item = fragments[index].item
        item.rows += rows
        item.skipped += skipped
        item.skipped_rows.extend(skipped_rows)
        item.notes.extend(n for n in notes if n not in item.notes)  # row groups say it once
    for item in {id(f.item): f.item for f in fragments}.values():
        item.passes += 1
    reports = []
    for i, job in enumerate(jobs):
        inputs = [item for source in job.inputs.values() for item in sources[source]]
        last = list(job.inputs)[-1]  # the plan whose --by names the groups
        acc = Accumulator(kpis[i], job.query, plans[i][last])
        found = scanned.accumulators.get(i)
        if found is not None:
            acc.absorb(found)
        files, rows = pruned.get(i, (0, 0))
        acc.filtered_out += rows
        report = finish(kpis[i], job, plans[i], acc, inputs)
        if files:
            report.notes.append(
                f"{files:,} of {len(inputs):,} files not read: their partition values are "
                f"outside the filters ({rows:,} rows, counted as filtered out)"
            )
        reports.append(report)
    return reports, sources


def _fragments(
    jobs: Sequence[Job],
    kpis: list[Kpi],
    plans: list[dict[str, Plan]],
    sources: Mapping[str, list[Input]],
    settings: Mapping[str, ReadSettings],
    split_parquet: int,
    pruned: dict[int, tuple[int, int]],
    split_text: bool = False,
) -> list[Fragment]:
    """A fragment per file of each source (in order), read for every KPI that uses the
    source; a Parquet file is cut into row-group ranges when the schedule asks for at least
    `split_parquet` fragments and there are fewer files, and with `split_text` a large CSV
    file into byte ranges (not under --strict or --skip-bad-lines, nor for a row-keyed KPI:
    their row numbers must be counted in one stream)."""
    from .fragments import one_stream, row_group_parts

    fragments = []
    files = sum(len(items) for items in sources.values())
    for name, items in sources.items():
        readings = tuple(
            Reading(i, kpis[i], job.query, plans[i][input_name])
            for i, job in enumerate(jobs)
            for input_name, source in job.inputs.items()
            if source == name
        )
        if not readings:
            continue
        for item in items:
            kept = _unpruned(item, readings, settings[name], pruned)
            if not kept:
                continue
            parts = [None]
            wanted = -(-split_parquet // files)
            if split_parquet > files and item.format == "parquet":
                parts = row_group_parts(item, settings[name], wanted)
            elif split_parquet > files and split_text and item.format == "csv":
                exact = one_stream(kept, settings[name])
                ranges = None if exact else _byte_ranges(item, settings[name], wanted)
                if ranges:
                    fragments += [
                        Fragment(item, settings[name], kept, byte_range=r) for r in ranges
                    ]
                    continue
            for part in parts:
                groups, first = (None, 0) if part is None else part
                fragments.append(Fragment(item, settings[name], kept, groups, first))
    return fragments


def _byte_ranges(item: Input, settings: ReadSettings, parts: int) -> list | None:
    """A CSV file's byte ranges for `parts` workers (formats.delimited: cut at line ends
    outside quotes), or None when it is not one to cut (small, compressed, not UTF-8)."""
    if item.is_stdin:
        return None
    return open_reader(item, settings).ranges(min(parts, MAX_RANGES), POOL_RANGE_BYTES)


def _unpruned(
    item: Input,
    readings: tuple[Reading, ...],
    settings: ReadSettings,
    pruned: dict[int, tuple[int, int]],
) -> tuple[Reading, ...]:
    """The readings whose filters may keep rows of the file, by its partition values
    (datasets.prunes). A file pruned for a KPI is not read for it; its rows, from the Parquet
    footer, count as filtered out (`pruned`, by KPI). A text file has no row count to give
    without reading it: it is read, and its rows filtered as any."""
    if not item.partitions or item.format != "parquet":
        return readings
    from .datasets import prunes

    kept = tuple(r for r in readings if not prunes(item, r.query, r.plan))
    if len(kept) < len(readings):
        rows = sum(open_reader(item, settings).row_groups())  # type: ignore[attr-defined]
        for reading in readings:
            if reading not in kept:
                files, before = pruned.get(reading.job, (0, 0))
                pruned[reading.job] = (files + 1, before + rows)
        if not kept:
            item.rows = rows  # the file's rows, none of them read
    return kept


@contextlib.contextmanager
def _named(job: Job) -> Iterator[None]:
    """Errors of a job that runs beside others (cx report) start with its label."""
    try:
        yield
    except CxError as exc:
        if not job.label:
            raise
        raise type(exc)(f"{job.label}: {exc.message}", exc.hint) from None
