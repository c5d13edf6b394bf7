"""cx from Python: one function per KPI, with the roles and options of its command as keyword
arguments, over paths or data in memory (pandas, polars, pyarrow), giving a `Result`.

>>> import cxcli as cx
>>> result = cx.nps("sample_data/survey.csv", by="Region")
>>> round(result.value, 2), result.n
(21.53, 3896)
>>> sorted(g["key"]["Region"] for g in result.groups)
['APAC', 'EMEA', 'LATAM', 'NA']

Errors are `CxError` subclasses with the command's message (`InputError`, `ColumnNotFound`,
`UsageError`, `ConfigError`), carrying `file`, `row`, `column` and `value` where known; nothing
is printed, and what the command would say on stderr is in `Result.messages`.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect as _inspect
import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compute import compute
from .definition import Kpi, option_fields, option_type
from .errors import ColumnNotFound, CxError, InputError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa

    from .result import Report

# The options every KPI takes (as make_query reads them), and the gate. A windowed KPI takes
# from_/to instead of time/since/until.
ROW_OPTIONS = ("time", "since", "until")
WINDOW_OPTIONS = ("from", "to")
COMMON_OPTIONS = (
    "by",
    "period",
    "time_format",
    "tz",
    "where",
    "confidence",
    "strict",
    "top",
    "min_n",
    "baseline",
    "encoding",
    "skip_bad_lines",
    "skip_unreadable",
    "sheet",
    "header_rows",
    "max_invalid",
    "profile",
    "adjust",
    "min",
    "max",
    "gate_on",
    "gate_groups",
    "jobs",
    "engine",
    "scheduler",
    "s3_endpoint",
    "emit_state",
)
__all__ = [
    "ColumnNotFound",
    "CxError",
    "InputError",
    "UsageError",
    "Result",
    "ReportResult",
    "kpi",
    "report",
    "inspect",
    *("nps", "csat", "ces", "fcr", "aht", "art", "churn", "retention", "clv", "arpu", "cac"),
    *("mau", "redemption", "sentiment", "themes", "drivers", "cohorts"),
]


class Result:
    """One KPI's result: `value`, `ci`, `n`, `details`, `quality`, `notes` and `groups` as
    the JSON has them; `to_dict()` is that JSON, `to_pandas()` / `to_arrow()` a row per group.
    In a notebook it shows as the terminal's table.

    >>> import cxcli as cx
    >>> result = cx.ces("sample_data/survey.csv", score="Effort", by="Channel")
    >>> result.to_arrow().column_names[:4], result.to_arrow().num_rows
    (['Channel', 'value', 'ci_low', 'ci_high'], 4)
    >>> result.quality["rows"] == result.quality["used"] + 83 + 16
    True
    """

    def __init__(self, report: Report, messages: Sequence[str] = ()) -> None:
        self.report = report
        self.messages = list(messages)  # what the command would print on stderr
        self._data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON `cx <kpi> -f json` writes, as Python data."""
        if self._data is None:
            from .render.json import clean

            self._data = clean(self.report.to_dict())
        return self._data

    @property
    def kpi(self) -> str:
        return self.report.kpi.name

    @property
    def value(self) -> float | None:
        return self.report.overall.estimate.value

    @property
    def ci(self) -> tuple[float, float] | None:
        return self.report.overall.estimate.ci

    @property
    def n(self) -> int:
        return self.report.overall.estimate.n

    @property
    def details(self) -> dict[str, Any]:
        return self.to_dict()["details"]

    @property
    def quality(self) -> dict[str, Any]:
        return self.to_dict()["quality"]

    @property
    def notes(self) -> list[str]:
        return self.to_dict()["notes"]

    @property
    def groups(self) -> list[dict[str, Any]]:
        return self.to_dict()["groups"]

    def to_arrow(self) -> pa.Table:
        """A row per group (or one for the whole, without groups): the key columns, value,
        ci_low, ci_high, n, and the change from the period or baseline before."""
        import pyarrow as pa

        data = self.to_dict()
        rows = data["groups"] or [{"key": {}, **data}]
        keys = list(rows[0]["key"])
        columns: dict[str, list[Any]] = {k: [r["key"][k] for r in rows] for k in keys}
        columns["value"] = [r["value"] for r in rows]
        columns["ci_low"] = [(r["ci"] or {}).get("low") for r in rows]
        columns["ci_high"] = [(r["ci"] or {}).get("high") for r in rows]
        columns["n"] = [r["n"] for r in rows]
        change = [r.get("change") or {} for r in rows]
        columns["change"] = [c.get("delta") for c in change]
        columns["change_p"] = [c.get("p_adjusted", c.get("p_value")) for c in change]
        columns["change_significant"] = [c.get("significant") for c in change]
        types = {"value": pa.float64(), "ci_low": pa.float64(), "ci_high": pa.float64()}
        types |= {"n": pa.int64(), "change": pa.float64(), "change_p": pa.float64()}
        types["change_significant"] = pa.bool_()
        arrays = {k: pa.array(v, type=types.get(k)) for k, v in columns.items()}
        return pa.table(arrays)

    def to_pandas(self) -> Any:
        """`to_arrow()` as a pandas DataFrame (needs pandas)."""
        return self.to_arrow().to_pandas()

    def _text(self, color: bool) -> str:
        from .render.table import render_table

        out = io.StringIO()
        render_table(self.report, out, color=color)
        return out.getvalue()

    def _repr_markdown_(self) -> str:
        from .render.markdown import render_markdown

        return render_markdown(self.report)

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(self._text(color=False))}</pre>"

    def __rich__(self) -> Any:
        from rich.text import Text

        return Text.from_ansi(self._text(color=True))

    def __repr__(self) -> str:
        from .render.text import fmt_ci, fmt_value

        kpi, e = self.report.kpi, self.report.overall.estimate
        shown = f"{fmt_value(kpi, e.value)} {fmt_ci(kpi, self.to_dict()['ci'])}".strip()
        return f"<cx {kpi.name} {shown} n={e.n:,} groups={len(self.report.groups):,}>"


def kpi(name: str, data: Any = None, /, *, progress: bool = False, **options: Any) -> Result:
    """Compute the KPI `name` (as `cx <name>`) over `data`: a path, a glob, a folder, a list of
    them, or data in memory (a pandas or polars DataFrame, a polars LazyFrame, a pyarrow
    Table, RecordBatch, Dataset or RecordBatchReader, anything with `__arrow_c_stream__`).
    Options are the command's, as keywords: roles (`score="LTR"`), the KPI's own options,
    `by` (a column or a list), `period`, `where`, `since`/`until` or `from_`/`to`, `min`/`max`
    (a gate: see `report.gate`), `baseline` (a number, or an earlier Result of the KPI) …
    `progress=True` shows rich's progress.

    >>> import cxcli as cx
    >>> cx.kpi("csat", "sample_data/survey.csv", score="Sat").value
    77.98612894939635
    """
    from .registry import all_kpis

    registry = all_kpis()
    if name not in registry:
        raise UsageError(f"{name!r} is not a KPI; one of: {', '.join(registry)}")
    kpi_cls = registry[name]
    inputs = _inputs(kpi_cls, data, options)
    canonical = _options(kpi_cls, options)
    messages: list[str] = []
    with _reading(progress) as update:
        report = compute(kpi_cls, inputs, canonical, messages.append, update)
    return Result(report, messages)


def _inputs(kpi_cls: type[Kpi], data: Any, options: dict[str, Any]) -> Any:
    """The inputs as `compute` takes them; a KPI with several inputs takes them by name."""
    if kpi_cls.inputs:
        if data is not None:
            names = ", ".join(f"{n}=…" for n in kpi_cls.inputs)
            raise UsageError(f"{kpi_cls.name} reads several inputs: give them as {names}")
        missing = [n for n in kpi_cls.inputs if options.get(n) is None]
        if missing:
            raise UsageError(f"{kpi_cls.name} needs {', '.join(f'{n}=…' for n in missing)}")
        return {n: _as_list(options.pop(n)) for n in kpi_cls.inputs}
    if data is None:
        raise UsageError(f"{kpi_cls.name} needs data: a path, or a DataFrame or Arrow table")
    return _as_list(data)


def _as_list(data: Any) -> list[Any]:
    if isinstance(data, list | tuple):
        return [os.fspath(d) if isinstance(d, os.PathLike) else d for d in data]
    return [os.fspath(data) if isinstance(data, os.PathLike) else data]


def _options(kpi_cls: type[Kpi], given: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword options checked against what the KPI takes, under make_query's names."""
    allowed = {role.name for role in kpi_cls.roles} | {f.name for f in option_fields(kpi_cls)}
    allowed |= set(COMMON_OPTIONS) | set(WINDOW_OPTIONS if kpi_cls.windowed else ROW_OPTIONS)
    options: dict[str, Any] = {}
    for key, value in given.items():
        name = key.rstrip("_")  # from_ for from
        if name not in allowed:
            close = difflib.get_close_matches(name, sorted(allowed), n=3)
            hint = f"did you mean {', '.join(close)}?" if close else None
            raise UsageError(f"cx.{kpi_cls.name}() takes no option {key!r}", hint=hint)
        options[name] = value
    baseline = options.get("baseline")
    if isinstance(baseline, Result | Mapping):
        options["baseline"] = _previous(kpi_cls, baseline)
    if isinstance(options.get("by"), str):
        options["by"] = [options["by"]]
    return options


def _previous(kpi_cls: type[Kpi], baseline: Result | Mapping[str, Any]) -> Any:
    """A baseline from an earlier result of the same KPI (a Result, or its JSON as a dict):
    compared with the KPI's own test, as `--baseline report.json` is."""
    from .planning import previous_baseline

    data = baseline.to_dict() if isinstance(baseline, Result) else baseline
    return previous_baseline(data, kpi_cls.name, "(an earlier result)")


def _reading(wanted: bool) -> contextlib.AbstractContextManager[Any]:
    """rich's progress (in a notebook too) when asked, else no progress callback."""
    if not wanted:
        return contextlib.nullcontext(None)
    from .render.console import reading_progress

    return reading_progress()


def _kpi_function(name: str, example: str) -> Callable[..., Result]:
    """`cx.<name>`: `kpi(name, …)` with the KPI's roles and options in its signature, so
    `help()`, tab completion and `inspect.signature` show them."""
    from .registry import builtin_kpi

    def compute_kpi(data: Any = None, /, *, progress: bool = False, **options: Any) -> Result:
        return kpi(name, data, progress=progress, **options)

    kpi_cls = builtin_kpi(name)
    compute_kpi.__name__ = compute_kpi.__qualname__ = name
    compute_kpi.__signature__ = _signature(kpi_cls)  # type: ignore[attr-defined]
    compute_kpi.__doc__ = (
        f"{kpi_cls.title}: `cx {name}` from Python (see `kpi`).\n\n"
        f"    >>> import cxcli as cx\n    >>> {example}\n"
    )
    return compute_kpi


def _signature(kpi_cls: type[Kpi]) -> _inspect.Signature:
    """Data (or, for a KPI with several inputs, each by name), then every keyword it takes."""
    keyword = _inspect.Parameter.KEYWORD_ONLY
    if kpi_cls.inputs:
        params = [_inspect.Parameter(n, keyword, annotation=Any) for n in kpi_cls.inputs]
    else:
        positional = _inspect.Parameter.POSITIONAL_ONLY
        params = [_inspect.Parameter("data", positional, default=None, annotation=Any)]
    params += [
        _inspect.Parameter(role.name, keyword, default=None, annotation=str | None)
        for role in kpi_cls.roles
    ]
    params += [
        _inspect.Parameter(f.name, keyword, default=f.default, annotation=option_type(f))
        for f in option_fields(kpi_cls)
    ]
    rows = WINDOW_OPTIONS if kpi_cls.windowed else ROW_OPTIONS
    taken = {p.name for p in params}
    for option in (*rows, *COMMON_OPTIONS):
        keyword_name = f"{option}_" if option in ("from",) else option
        if option not in taken:
            params.append(_inspect.Parameter(keyword_name, keyword, default=None))
    params.append(_inspect.Parameter("progress", keyword, default=False, annotation=bool))
    return _inspect.Signature(params, return_annotation=Result)


# One function per built-in KPI, each with an example on the bundled samples (doctests).
S = "sample_data"
nps = _kpi_function("nps", f'round(cx.nps("{S}/survey.parquet").value, 2)\n    21.49')
csat = _kpi_function("csat", f'cx.csat("{S}/survey.csv", score="Sat").n\n    3893')
ces = _kpi_function("ces", f'round(cx.ces("{S}/survey.csv", score="Effort").value, 2)\n    5.61')
fcr = _kpi_function(
    "fcr", f'round(cx.fcr("{S}/tickets.csv", contacts="Touches").value, 1)\n    63.4'
)
aht = _kpi_function(
    "aht", f'round(cx.aht("{S}/tickets.csv", talk="Talk", hold="Hold", acw="Wrap").value)\n    384'
)
art = _kpi_function(
    "art",
    f'round(cx.art("{S}/tickets.csv", created="Opened", resolved="Closed").value / 3600, 1)'
    "\n    22.3",
)
churn = _kpi_function(
    "churn",
    f'round(cx.churn("{S}/customers.csv", id="Customer", start="Signup", end="Cancelled").value,'
    " 1)\n    9.6",
)
retention = _kpi_function(
    "retention",
    f'cx.retention("{S}/customers.csv", id="Customer", start="Signup", end="Cancelled").n\n    924',
)
clv = _kpi_function(
    "clv", f'round(cx.clv("{S}/orders.csv", customer="Cust", lifespan=3).value, 2)\n    1927.69'
)
arpu = _kpi_function(
    "arpu", f'round(cx.arpu("{S}/orders.csv", customer="Cust").value, 2)\n    291.5'
)
cac = _kpi_function(
    "cac",
    f'cx.cac(spend="{S}/spend.csv", customers="{S}/customers.csv", date="Day", amount="Cost",'
    ' start="Signup").n\n    117',
)
mau = _kpi_function("mau", f'cx.mau("{S}/events.parquet").value\n    6500.0')
redemption = _kpi_function(
    "redemption", f'round(cx.redemption("{S}/loyalty.csv").value, 1)\n    84.4'
)
sentiment = _kpi_function(
    "sentiment", f'round(cx.sentiment("{S}/survey.csv", text="Comment").value, 1)\n    51.8'
)
themes = _kpi_function(
    "themes",
    f'cx.themes("{S}/survey.csv", text="Comment").details["themes"][0]["term"]\n    \'fine\'',
)
drivers = _kpi_function(
    "drivers",
    f'cx.drivers("{S}/survey.csv", outcome="LTR", attributes=["Price", "Support", "Delivery"])'
    '.details["drivers"][0]["attribute"]\n    \'Support\'',
)
cohorts = _kpi_function(
    "cohorts",
    f'cx.cohorts("{S}/customers.csv", period="quarter").details["cohorts"][0]["size"]\n    326',
)
del S


def inspect(path: Any, rows: int = 10_000) -> dict[str, Any]:
    """What `cx inspect --json` says of a file: its columns, their types, the roles they match
    and the KPIs it can feed.

    >>> import cxcli as cx
    >>> [k["kpi"] for k in cx.inspect("sample_data/survey.csv")["kpis"]][:3]
    ['nps', 'csat', 'ces']
    """
    from .inspection import inspect_file
    from .source import ReadSettings

    return inspect_file(os.fspath(path), rows, ReadSettings()).to_dict()


class ReportResult:
    """A `cx report` run: `results` (a `Result` per `[[kpi]]`, by its key), `index`, and
    `to_dict()`, the `report.json` the command writes."""

    def __init__(self, combined: Any) -> None:
        self.combined = combined
        self.results = {o.entry.id: Result(o.report) for o in combined.outcomes}
        self.index = combined.index

    def to_dict(self) -> dict[str, Any]:
        from .render.json import clean

        return clean(self.combined.to_dict())

    @property
    def failures(self) -> list[str]:
        """One line per KPI that gave no number or missed its target, as the command says."""
        from .reporting.summary import failure_reasons

        return failure_reasons(self.combined)


def report(
    config: Any,
    *,
    date: str | None = None,
    history: Any = None,
    adjust: str | None = None,
    progress: bool = False,
) -> ReportResult:
    """Compute and judge every KPI of a report config, as `cx report` does, without writing
    its files; `history` (a Parquet file) is read for trends and previous runs, not written.

    >>> import cxcli as cx
    >>> run = cx.report("sample_data/cx.toml", date="2026-11-23")
    >>> round(run.results["nps"].value, 2), round(run.index["value"], 1)
    (21.53, 69.4)
    """
    import datetime as dt

    from .reporting.config import load_config
    from .reporting.history import History
    from .reporting.run import run_report

    loaded = load_config(os.fspath(config))
    try:
        day = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        raise UsageError(f"date {date!r} is not a date like 2026-06-30") from None
    past = History(Path(history)) if history is not None else None
    with _reading(progress) as update:
        combined = run_report(loaded, day, past, update, adjust=adjust)
    return ReportResult(combined)
