"""How each column of a run is read, decided once from a sample of it before the scan: the
label set of a score column and the unit and clock reading of a duration column (by the KPI,
`Kpi.fit`), and the format of every time column (here). Deciding up front, per column, means a
column is never read one way in one batch and another way in the next."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pyarrow as pa

from .definition import Kpi
from .errors import InputError
from .times import Decision, MixedOrder, TimeFormat, TimeSettings, decide_format, slashed_formats

TIME_KEY = "--time"  # the key of the --time column among the time formats


def fit(
    kpi: Kpi,
    samples: Mapping[str, pa.Array],
    columns: Mapping[str, str],
    *,
    fmt: str | None = None,
    tz: str | None = None,
    time_column: str | None = None,
    notice: Callable[[str], None] = lambda message: None,
    source: str = "",
    whole_column: Callable[[str], str | None] = lambda column: None,
) -> tuple[Kpi, TimeSettings]:
    """The KPI fitted to its role columns, and how the time columns are read.

    `samples` holds the first rows of each role's column (by role) and of the --time column
    (`TIME_KEY`); `columns` names the role columns. `whole_column(column)` tells day/month
    order from every value of a column when its sample cannot (None: it cannot either)."""
    kpi = kpi.fit(samples, columns, notice, source)
    times = TimeSettings(fmt, tz)
    wanted = [
        (r.name, columns[r.name], r.option)
        for r in kpi.roles
        if r.kind == "time" and r.name in columns and r.name in samples
    ]
    if time_column is not None and TIME_KEY in samples:
        wanted.append((TIME_KEY, time_column, "--time"))
    for key, column, option in wanted:
        found = _decide(samples[key], column, option, fmt, source, whole_column)
        if found.kind not in ("iso", "native", "strptime"):
            notice(f"{column!r} ({option}): times read as {found.describe()}")
        times = times.with_format(key, found)
    return kpi, times


def _decide(
    sample: pa.Array,
    column: str,
    option: str,
    fmt: str | None,
    source: str,
    whole_column: Callable[[str], str | None],
) -> TimeFormat:
    where = f"{source}: column {column!r} ({option})" if source else f"column {column!r}"
    try:
        decision = decide_format(sample, fmt)
    except MixedOrder as exc:
        raise _mixed(where, exc) from None
    if decision.unreadable:
        raise InputError(
            f"{where}: no value reads as a time, e.g. row {decision.row} {decision.example!r}",
            hint="give its format with --time-format, e.g. '%d.%m.%Y %H:%M' (strptime codes)",
        )
    if fmt is not None and decision.example is not None:
        _check_given(sample, decision, fmt, where)
    if not decision.ambiguous:
        return decision.format
    try:
        order = whole_column(column)
    except MixedOrder as exc:
        raise _mixed(where, exc) from None
    if order is None:
        month_first, day_first = slashed_formats(decision.example or "")
        raise InputError(
            f"{where} holds dates like {decision.example!r}, and no day above 12 tells whether "
            "the day or the month comes first",
            hint=f"give --time-format '{month_first}' (month first) or '{day_first}' (day first)",
        )
    return TimeFormat(order)


def _check_given(sample: pa.Array, decision: Decision, fmt: str, where: str) -> None:
    """--time-format that matches no value of the sample is a mistake, not a column of
    invalid times."""
    from .times import parse_times

    parsed = parse_times(sample, TimeSettings(formats=(("x", decision.format),)), "x")
    if parsed.invalid.any() and not parsed.valid.any():
        raise InputError(
            f"{where}: no value matches --time-format {fmt!r}, e.g. row {decision.row} "
            f"{decision.example!r}",
            hint="check the codes (strptime: %Y-%m-%d %H:%M:%S), or leave --time-format out",
        )


def _mixed(where: str, exc: MixedOrder) -> InputError:
    return InputError(
        f"{where} holds day-first dates ({exc.day_first!r}) and month-first ones "
        f"({exc.month_first!r})",
        hint="give --time-format for the order the column should have (the others are invalid)",
    )
