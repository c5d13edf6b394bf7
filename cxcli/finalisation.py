"""Finalisation: a run's merged accumulator → the headline and group results, the ranking,
the change from a baseline, the adjusted tests and the notes of a Report."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from .changes import DEFAULT_ADJUST, GroupTests, adjust_together, change_dict
from .definition import Kpi, role_columns
from .errors import InputError, shorten
from .fragments import Accumulator
from .periods import period_label
from .planning import Baseline, Job, Plan
from .result import Quality, Report, Result
from .source import Input

_LOCAL_DATE = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")


def results(acc: Accumulator) -> tuple[Result, GroupResults, GroupTests]:
    """The headline and the groups: segments (--by), each split into periods (--period) —
    rows grouped by their time, or for a windowed KPI the window cut into periods. Groups
    are finalized when read, so a million segments never sit in memory as results; the periods'
    change tests are computed first, so that all the run's tests are adjusted together."""
    kpi, confidence = acc.kpi, acc.query.confidence
    _unify_keys(acc)
    overall = Result(kpi.finalize(kpi.view(acc.state, 0), confidence), acc.quality)
    # entries: (segment key, period label, state, quality, window index or None)
    entries: list[tuple[tuple, str | None, Any, Quality, int | None]] = []
    if kpi.windowed:  # segments × the periods of the window
        segments = acc.groups if acc.plan.by else {(): acc.state}
        quality = acc.group_quality if acc.plan.by else {(): acc.quality}
        periods = range(1, len(kpi.windows)) if acc.query.period else [0]
        if acc.plan.by or acc.query.period:
            entries = [
                (key, kpi.windows[i].label, segments[key], quality[key], i)
                for key in sorted(segments, key=_sort_key)
                for i in periods
            ]
    else:
        for key in sorted(acc.groups, key=_sort_key):
            code = key[-1] if acc.periods else None
            label = None if code is None else period_label(code, acc.query.period)
            segment = key[:-1] if acc.periods else key
            entries.append((segment, label, acc.groups[key], acc.group_quality[key], None))
    tests = _tests(acc, entries)
    return overall, GroupResults(entries, partial(_result, acc, tests)), tests


def _unify_keys(acc: Accumulator) -> None:
    """--by values that are numbers in some files and text in others (schema drift across a
    dataset: `1` and `"1"`) as text throughout, so that they are one group, not two; groups
    whose keys become the same are merged."""
    width = len(acc.plan.by)
    mixed = []
    for position in range(width):
        kinds = {type(key[position]) for key in acc.groups if key[position] is not None}
        if str in kinds and kinds & {int, float}:
            mixed.append(position)
    if not mixed:
        return
    groups: dict[tuple, Any] = {}
    qualities: dict[tuple, Quality] = {}
    for key, state in acc.groups.items():
        new = tuple(_as_text(part) if i in mixed else part for i, part in enumerate(key))
        old = groups.get(new)
        groups[new] = state if old is None else acc.kpi.merge(old, state)
        quality = acc.group_quality[key]
        qualities[new] = quality if new not in qualities else qualities[new].merge(quality)
    acc.groups, acc.group_quality = groups, qualities


def _as_text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if value is None or isinstance(value, str) else str(value)


def _before(entries: list, index: int) -> tuple | None:
    """The entry of the period before entry `index` in the same segment, if any."""
    segment, label = entries[index][0], entries[index][1]
    before = entries[index - 1] if index else None
    if label is None or not before or before[0] != segment or before[1] is None:
        return None
    return before


def _tests(acc: Accumulator, entries: list) -> GroupTests:
    """Every period's change test, computed before any group is read, so that all the
    run's tests can be adjusted together (changes.adjust_together)."""
    kpi, confidence = acc.kpi, acc.query.confidence
    tests = GroupTests(confidence, acc.query.adjust)
    if acc.query.period is None:
        return tests
    for index, (_, _, state, _, window) in enumerate(entries):
        before = _before(entries, index)
        if before is None:
            continue
        old = before[2] if before[4] is None else kpi.view(before[2], before[4])
        new = state if window is None else kpi.view(state, window)
        test = kpi.compare(old, new, confidence)
        if test is not None:
            tests.tests[index] = test
    return tests


def _result(acc: Accumulator, tests: GroupTests, entries: list, index: int) -> Result:
    segment, label, state, quality, window = entries[index]
    kpi = acc.kpi
    state = state if window is None else kpi.view(state, window)
    names = acc.plan.by if kpi.category_key is None else (*acc.plan.by, kpi.category_key)
    labels = dict(zip(names, segment, strict=True))
    result = Result(kpi.finalize(state, acc.query.confidence), quality, labels)
    if acc.query.min_n:
        result.too_small = result.estimate.n < acc.query.min_n
    if acc.query.period is not None:
        labels["period"] = label
        result.has_change = True
        if window is not None:  # a window's period reads every row of its segment
            result.rows_of = "segment"
        before = _before(entries, index)
        if before is not None:
            old_state = before[2] if before[4] is None else kpi.view(before[2], before[4])
            a = kpi.finalize(old_state, acc.query.confidence).value
            b = result.estimate.value
            delta = None if a is None or b is None else b - a
            result.change = tests.change(index, before[1], delta)
    return result


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


def _sort_key(key: tuple) -> tuple:
    return tuple((part is None, "" if part is None else part) for part in key)


def finish(
    kpi: Kpi,
    job: Job,
    plans: dict[str, Plan],
    acc: Accumulator,
    inputs: list[Input],
) -> Report:
    """The report of one job from its merged accumulator, once every input has been read."""
    query = job.query
    kpi = acc.kpi = kpi.settle(acc.state)
    overall, groups, tests = results(acc)
    plan = next(iter(plans.values()))
    columns = {r: c for p in plans.values() for r, c in p.roles.items()}
    params: dict[str, Any] = {role.name: role_columns(role, columns) for role in kpi.roles}
    params.update({old: columns.get(role.name) for role in kpi.roles for old in role.former})
    params["profile"] = job.profile
    params.update(kpi.params())
    params.update(
        {
            "by": [*plan.by, *([kpi.category_key] if kpi.category_key else [])],
            "period": str(query.period) if query.period else None,
            "time": plan.time,
            "where": query.where,
            "confidence": query.confidence,
            "adjust": query.adjust,
        }
    )
    if kpi.windowed:
        params["from"], params["to"] = kpi.windows[0].iso()
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
    report.accumulator, report.query, report.plans = acc, query, plans
    report.spread = kpi.spread(acc.state)
    if query.top is not None:
        report.ranking = rank(groups, query.top, kpi.higher_is_better)
    if query.baseline is not None:
        report.baseline = versus_baseline(
            kpi, kpi.view(acc.state, 0), overall.estimate, query.baseline, query.confidence
        )
    report.tests = tests
    singles = [(report.baseline, query.confidence)] if report.baseline else []
    report.adjusted = (adjust_together([tests], singles, query.adjust), query.adjust)
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
