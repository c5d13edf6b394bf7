"""The `cx report` config: a TOML file (read with tomllib, never executed) naming inputs and
KPIs. Every KPI entry takes the roles and options of its subcommand under the same names, and
every mistake is reported with the file, the line and the key, and what is allowed there."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..changes import DEFAULT_ADJUST
from ..definition import Kpi, option_fields, option_type
from ..errors import CxError, UsageError
from ..money import check_currency
from ..periods import Period
from ..planning import Job, Query, Source, make_query
from ..registry import all_kpis
from ..stats import ADJUSTMENTS
from ..where import parse_where

REPORT_KEYS = {
    "title": str,
    "output_dir": str,
    "name": str,
    "history": str,
    "confidence": float,
    "adjust": str,
    "currency": str,
    "engine": str,  # where fragments are read: local or dask (schedules.py)
    "jobs": int,
    "scheduler": str,
    "s3_endpoint": str,
}
INPUT_KEYS = {
    "path": (str, list),
    "encoding": str,
    "skip_bad_lines": bool,
    "skip_unreadable": bool,
    "sheet": (str, int),
    "header_rows": int,
}
# Keys every [[kpi]] entry may have besides its roles and options.
ENTRY_KEYS = {
    "kpi": str,
    "key": str,
    "label": str,
    "input": str,
    "indicator": str,
    "by": (str, list),
    "period": str,
    "where": str,
    "time_format": str,
    "tz": str,
    "confidence": float,
    "strict": bool,
    "max_invalid": float,
    "profile": str,
    "top": int,
    "min_n": int,
    "target": dict,
    "baseline": (float, str),
    "benchmark": float,
}
ROW_KEYS = {"time": str, "since": str, "until": str}  # KPIs measured on rows
WINDOW_KEYS = {"from": str, "to": str}  # windowed KPIs
TARGET_KEYS = {"min": float, "max": float, "gate_on": str, "by": str}
INDEX_KEYS = {"label": str, "weights": dict, "ranges": dict}
INDICATORS = ("leading", "lagging")


class ConfigError(UsageError):
    """A mistake in the config file (exit 2), located by file, line and key."""


@dataclass(frozen=True)
class Target:
    """`target = {min, max, gate_on, by}`: a bound, what it is checked on, and a deadline."""

    min: float | None = None
    max: float | None = None
    gate_on: str = "value"
    by: dt.date | None = None


@dataclass
class Entry:
    """One [[kpi]] of the config, ready to run."""

    id: str
    label: str
    job: Job
    indicator: str
    target: Target | None = None
    baseline: float | str | None = None  # a number, "previous" (from history), or None
    benchmark: float | None = None
    line: int = 0

    @property
    def kpi(self) -> Kpi:
        return self.job.kpi


@dataclass(frozen=True)
class IndexSpec:
    """[index]: weights by KPI id, and (worst, best) ranges for KPIs with no 0–100 scale."""

    label: str
    weights: dict[str, float]
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class Config:
    path: Path
    title: str
    sources: dict[str, Source]
    entries: list[Entry]
    index: IndexSpec | None = None
    output_dir: Path | None = None
    name: str = "report"
    history: Path | None = None
    unused_inputs: list[str] = field(default_factory=list)  # named in [inputs], read by no KPI
    adjust: str = DEFAULT_ADJUST  # how every change test of the report is adjusted together
    scale: dict[str, Any] = field(default_factory=dict)  # [report] engine, jobs, scheduler …

    def scaled(self, **given: Any) -> None:
        """Every KPI read where [report] (or the command's options, `given`) says: engine,
        jobs, scheduler, s3_endpoint."""
        chosen = {**self.scale, **{k: v for k, v in given.items() if v is not None}}
        endpoint = chosen.pop("s3_endpoint", None)
        if endpoint:
            self.sources = {n: replace(s, s3_endpoint=endpoint) for n, s in self.sources.items()}
        if chosen:
            for entry in self.entries:
                entry.job.query = replace(entry.job.query, **chosen)


def load_config(path: str | Path) -> Config:
    """Read and check a config; raises ConfigError naming the file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")  # a BOM from Notepad
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such config file", hint="write a starter one with: cx init FILE..."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config: {exc}") from None
    try:
        return _Reader(path, text).config(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # TOML nested 100,000 deep
        raise ConfigError(f"{path}: not a cx config: its values nest too deeply") from None


class _Reader:
    """Walks the parsed TOML, checking each key and remembering where it came from."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.base = path.parent

    # -- locating keys -------------------------------------------------------------------------
    def _table_line(self, table: str, index: int = 0) -> int:
        pattern = re.compile(r"^\s*\[\[?\s*" + re.escape(table) + r"\s*\]\]?\s*(#.*)?$")
        hits = [i for i, line in enumerate(self.lines) if pattern.match(line)]
        return hits[index] + 1 if index < len(hits) else 1

    def _key_line(self, table: str | None, key: str, index: int = 0) -> int:
        """The line of `key` inside the `index`-th [table] (or at the top level)."""
        start = self._table_line(table, index) if table else 1
        key_re = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*[=.]")
        for number in range(start, len(self.lines) + 1):
            line = self.lines[number - 1]
            if number > start and re.match(r"^\s*\[", line):
                break
            if key_re.match(line):
                return number
            if table is None and re.match(r"^\s*\[", line):
                break
        return start

    def error(
        self, message: str, table: str | None = None, key: str | None = None, index: int = 0
    ) -> ConfigError:
        line = self._key_line(table, key, index) if key else self._table_line(table or "", index)
        return ConfigError(f"{self.path}:{line}: {message}")

    # -- checking values -----------------------------------------------------------------------
    def check_keys(
        self,
        values: Mapping[str, Any],
        allowed: Mapping[str, Any],
        where: str,
        table: str | None,
        index: int = 0,
    ) -> None:
        for key, value in values.items():
            if key not in allowed:
                close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(
                    f"{where}: unknown key {key!r}{hint}; allowed: {', '.join(sorted(allowed))}",
                    table,
                    key,
                    index,
                )
            self.check_type(value, allowed[key], f"{where}: {key}", table, key, index)

    def check_type(
        self, value: Any, kind: Any, where: str, table: str | None, key: str, index: int = 0
    ) -> None:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = any(_is(value, k) for k in kinds)
        if not ok:
            names = " or ".join(_type_name(k) for k in kinds)
            raise self.error(f"{where} must be {names}, not {value!r}", table, key, index)

    # -- the config ----------------------------------------------------------------------------
    def config(self, data: dict[str, Any]) -> Config:
        top = {"report": dict, "inputs": dict, "kpi": list, "index": dict, "labels": dict}
        for key in data:
            if key not in top:
                raise self.error(
                    f"unknown table {key!r}; allowed: [report], [inputs], [[kpi]], [index], "
                    "[labels]",
                    None,
                    key,
                )
        report = data.get("report", {})
        self.check_keys(report, REPORT_KEYS, "[report]", "report")
        sources = self.sources(data.get("inputs"))
        kpis = data.get("kpi")
        if not kpis or not isinstance(kpis, list):
            raise ConfigError(f"{self.path}: the config has no [[kpi]] entries")
        confidence = report.get("confidence")
        currency = report.get("currency")
        try:
            check_currency(currency, "currency =")
        except CxError as exc:
            raise self.error(f"[report] {exc.message}", "report", "currency") from None
        self.labels = self.label_table(data["labels"], "[labels]") if "labels" in data else None
        entries = [self.entry(i, raw, sources, confidence, currency) for i, raw in enumerate(kpis)]
        seen: dict[str, int] = {}
        for i, entry in enumerate(entries):
            if entry.id in seen:
                raise self.error(
                    f"[[kpi]] #{i + 1}: key {entry.id!r} is used twice; give each entry its own "
                    "`key` (it names the KPI in the history and the index)",
                    "kpi",
                    "key",
                    i,
                )
            seen[entry.id] = i
        used = {s for e in entries for s in e.job.inputs.values()}
        unused = [name for name in sources if name not in used]
        sources = {name: s for name, s in sources.items() if name in used}
        index = self.index(data.get("index"), entries) if "index" in data else None
        return Config(
            path=self.path,
            title=report.get("title", "CX report"),
            sources=sources,
            entries=entries,
            index=index,
            output_dir=self.resolve(report["output_dir"]) if "output_dir" in report else None,
            name=report.get("name", "report"),
            history=self.resolve(report["history"]) if "history" in report else None,
            unused_inputs=unused,
            adjust=self.adjustment(report),
            scale=self.check_scale(report)
            or {
                key: report[key]
                for key in ("engine", "jobs", "scheduler", "s3_endpoint")
                if key in report
            },
        )

    def check_scale(self, report: dict[str, Any]) -> None:
        if report.get("engine", "local") not in ("local", "dask"):
            raise self.error(
                f"[report] engine = {report['engine']!r}: use local or dask", "report", "engine"
            )
        if report.get("jobs", 1) < 1:
            raise self.error("[report] jobs must be at least 1", "report", "jobs")

    def adjustment(self, report: dict[str, Any]) -> str:
        method = report.get("adjust", DEFAULT_ADJUST)
        if method not in ADJUSTMENTS:
            raise self.error(
                f"[report] adjust = {method!r}: use one of {', '.join(ADJUSTMENTS)}",
                "report",
                "adjust",
            )
        return method

    def resolve(self, spec: str) -> Path:
        path = Path(spec).expanduser()
        return path if path.is_absolute() else Path(os.path.normpath(self.base / path))

    def sources(self, inputs: Any) -> dict[str, Source]:
        if not inputs:
            raise ConfigError(
                f"{self.path}: the config has no [inputs] table",
                hint='name each input: [inputs] surveys = "exports/surveys-*.csv"',
            )
        out = {}
        for name, value in inputs.items():
            where = f"[inputs] {name}"
            if isinstance(value, str | list):
                value = {"path": value}
            if not isinstance(value, dict):
                raise self.error(
                    f"{where} must be a path, a list of paths, or a table with `path`",
                    "inputs",
                    name,
                )
            self.check_keys(value, INPUT_KEYS, where, "inputs")
            paths = value.get("path")
            paths = [paths] if isinstance(paths, str) else paths
            if not paths or not all(isinstance(p, str) and p for p in paths):
                raise self.error(f"{where} needs `path`: a path, glob or directory", "inputs", name)
            if "-" in paths:
                raise self.error(f"{where}: a report reads files, not stdin", "inputs", name)
            specs = tuple(str(self.resolve(p)) for p in paths)
            sheet = value.get("sheet")
            out[name] = Source(
                specs,
                value.get("encoding"),
                value.get("skip_bad_lines", False),
                None if sheet is None else str(sheet),
                value.get("header_rows"),
                value.get("skip_unreadable", False),
            )
        return out

    def entry(
        self,
        index: int,
        raw: Any,
        sources: dict[str, Source],
        confidence: float | None,
        currency: str | None = None,
    ) -> Entry:
        """One [[kpi]] entry; the report's confidence and currency apply where it sets none."""
        where = f"[[kpi]] #{index + 1}"
        if not isinstance(raw, dict):
            raise self.error(f"{where} must be a table", "kpi", None, index)
        registry = all_kpis()
        name = raw.get("kpi")
        if name not in registry:
            raise self.error(
                f"{where}: kpi = {name!r} is not a KPI; one of: {', '.join(registry)}",
                "kpi",
                "kpi",
                index,
            )
        cls = registry[name]
        where = f"[[kpi]] #{index + 1} ({name})"
        options = {f.name: option_type(f) for f in option_fields(cls)}
        allowed: dict[str, Any] = {**ENTRY_KEYS, **(WINDOW_KEYS if cls.windowed else ROW_KEYS)}
        allowed.update(
            {
                name: (str, list) if role.kind == "columns" else str
                for role in cls.roles
                for name in (role.name, *role.former)
            }
        )
        allowed.update({n: _toml_kind(t) for n, t in options.items()})
        if "labels" in options:
            allowed["labels"] = (str, dict)  # LABEL=NUMBER text, or a table
        if cls.inputs:
            del allowed["input"]
            allowed.update({n: str for n in cls.inputs})
        self.check_keys(raw, allowed, where, "kpi", index)

        def fail(message: str, key: str | None) -> ConfigError:
            return self.error(f"{where}: {message}", "kpi", key, index)

        input_names = list(cls.inputs) if cls.inputs else ["input"]
        inputs = {}
        for input_name in input_names:
            source = raw.get(input_name)
            if source is None:
                raise fail(f"`{input_name}` is required: the name of an input", input_name)
            if source not in sources:
                raise fail(
                    f"{input_name} = {source!r} is not in [inputs] (has: {', '.join(sources)})",
                    input_name,
                )
            inputs["" if input_name == "input" else input_name] = source
        for key, choices in (("indicator", INDICATORS), ("period", [p.value for p in Period])):
            if key in raw and raw[key] not in choices:
                raise fail(f"{key} = {raw[key]!r}; one of: {', '.join(choices)}", key)
        for key, f in ((f.name, f) for f in option_fields(cls)):
            choices = f.metadata.get("choices")
            if key in raw and choices and raw[key] not in choices:
                raise fail(f"{key} = {raw[key]!r}; one of: {', '.join(choices)}", key)
        if "where" in raw:
            try:
                parse_where(raw["where"])
            except CxError as exc:
                raise fail(f"where: {exc.message}", "where") from None
        common = {**ENTRY_KEYS, **(WINDOW_KEYS if cls.windowed else ROW_KEYS)}
        roles = {role.name for role in cls.roles}  # a role named `time` is the role
        values = {k: v for k, v in raw.items() if k in common and k not in roles}
        if isinstance(values.get("by"), str):
            values["by"] = [values["by"]]
        if confidence is not None and "confidence" not in values:
            values["confidence"] = confidence
        chosen = {k: _coerce(raw[k], options[k]) for k in options if k in raw}
        if currency is not None and "currency" in options and "currency" not in raw:
            chosen["currency"] = currency
        if isinstance(chosen.get("labels"), dict):
            chosen["labels"] = self.label_text(raw["labels"], f"{where}: labels", index)
        if self.labels is not None and "labels" in options:
            chosen["label_sets"] = (self.labels,)
        columns = {
            role.name: raw.get(role.name) or next((raw[f] for f in role.former if f in raw), None)
            for role in cls.roles
        }
        try:
            kpi = cls(**chosen)
            kpi.check()
            query = make_query(values, columns)
        except CxError as exc:
            raise fail(exc.message, _blame(exc.message, raw)) from None
        target = self.target(raw.get("target"), fail) if "target" in raw else None
        baseline = raw.get("baseline")
        if isinstance(baseline, str) and baseline != "previous":
            raise fail(
                'baseline must be a number or "previous" (the last run in history)', "baseline"
            )
        label = raw.get("label") or _default_label(cls.title, query)
        return Entry(
            id=raw.get("key") or _slug(raw.get("label") or name),
            label=label,
            job=Job(
                kpi, inputs, query, label=f"{self.path}:{self._table_line('kpi', index)}: {label}"
            ),
            indicator=raw.get("indicator", cls.indicator),
            target=target,
            baseline=baseline,
            benchmark=raw.get("benchmark"),
            line=self._table_line("kpi", index),
        )

    def label_table(self, raw: dict[str, Any], where: str, index: int = 0) -> Any:
        """A table of labels and their numbers ("" for no answer) as a label set."""
        from ..labels import parse_labels

        for label, number in raw.items():
            if not (_is(number, int) or number == ""):
                raise self.error(
                    f'{where}: {label!r} = {number!r}; give a whole number, or "" for no answer',
                    "kpi" if where.startswith("[[kpi]]") else "labels",
                    "labels" if where.startswith("[[kpi]]") else label,
                    index,
                )
        try:
            return dataclasses.replace(parse_labels(raw, where), name="cx.toml [labels]")
        except CxError as exc:
            raise self.error(exc.message, "labels") from None

    def label_text(self, raw: dict[str, Any], where: str, index: int) -> str:
        self.label_table(raw, where, index)  # checked here, with the line
        return ",".join('"' + k.replace('"', '""') + f'"={v}' for k, v in raw.items())

    def target(self, raw: dict[str, Any], fail) -> Target:
        for key, value in raw.items():
            if key not in TARGET_KEYS:
                raise fail(
                    f"target: unknown key {key!r}; allowed: {', '.join(TARGET_KEYS)}", "target"
                )
            kinds = TARGET_KEYS[key]
            if not _is(value, kinds):
                raise fail(f"target.{key} must be {_type_name(kinds)}, not {value!r}", "target")
        if "min" not in raw and "max" not in raw:
            raise fail("target needs `min` or `max`", "target")
        gate_on = raw.get("gate_on", "value")
        if gate_on not in ("value", "interval"):
            raise fail(f"target.gate_on = {gate_on!r}; one of: value, interval", "target")
        deadline = None
        if "by" in raw:
            try:
                deadline = dt.date.fromisoformat(raw["by"])
            except ValueError:
                raise fail(
                    f"target.by = {raw['by']!r} is not a date like 2026-06-30", "target"
                ) from None
        return Target(raw.get("min"), raw.get("max"), gate_on, deadline)

    def index(self, raw: dict[str, Any], entries: list[Entry]) -> IndexSpec:
        self.check_keys(raw, INDEX_KEYS, "[index]", "index")
        by_id = {e.id: e for e in entries}
        by_kpi: dict[str, list[Entry]] = {}
        for e in entries:
            by_kpi.setdefault(e.kpi.name, []).append(e)

        def find(name: str, key: str) -> Entry:
            if name in by_id:
                return by_id[name]
            if len(by_kpi.get(name, [])) == 1:
                return by_kpi[name][0]
            known = ", ".join(by_id)
            many = " (several entries: use its key)" if name in by_kpi else ""
            raise self.error(
                f"[index] {key}: {name!r} is not a KPI key of this config{many}; keys: {known}",
                "index",
                key,
            )

        weights: dict[str, float] = {}
        for name, weight in (raw.get("weights") or {}).items():
            if not _is(weight, float) or weight < 0:
                raise self.error(
                    f"[index] weights.{name} must be a number ≥ 0, not {weight!r}",
                    "index",
                    "weights",
                )
            weights[find(name, "weights").id] = float(weight)
        if not weights or sum(weights.values()) <= 0:
            raise self.error("[index] needs weights, e.g. { nps = 0.5, csat = 0.5 }", "index")
        ranges: dict[str, tuple[float, float]] = {}
        for name, pair in (raw.get("ranges") or {}).items():
            ok = isinstance(pair, list) and len(pair) == 2 and all(_is(v, float) for v in pair)
            if not ok or pair[0] == pair[1]:
                raise self.error(
                    f"[index] ranges.{name} must be [worst, best], two different numbers",
                    "index",
                    "ranges",
                )
            ranges[find(name, "ranges").id] = (float(pair[0]), float(pair[1]))
        for entry_id in weights:
            entry = by_id[entry_id]
            if entry_id not in ranges and entry.kpi.index_score(50.0) is None:
                raise self.error(
                    f"[index] {entry.id} ({entry.kpi.name}) has no 0–100 scale: give one as "
                    f"ranges = {{ {entry.id} = [worst, best] }}",
                    "index",
                    "weights",
                )
        return IndexSpec(raw.get("label", "CX index"), weights, ranges)


def _is(value: Any, kind: Any) -> bool:
    if isinstance(kind, tuple):
        return any(_is(value, k) for k in kind)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, kind)


def _type_name(kind: Any) -> str:
    names = {str: "text", float: "a number", int: "a whole number", bool: "true or false"}
    names.update({list: "a list of text", dict: "a table"})
    return names.get(kind, str(kind))


def _toml_kind(annotation: Any) -> Any:
    """The TOML value kinds an option of this Python type accepts."""
    args = getattr(annotation, "__args__", (annotation,))
    kinds = tuple(a for a in args if a is not type(None))
    return kinds[0] if len(kinds) == 1 else kinds


def _coerce(value: Any, annotation: Any) -> Any:
    args = getattr(annotation, "__args__", (annotation,))
    if float in args and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _blame(message: str, raw: Mapping[str, Any]) -> str | None:
    """The key an error message is about (`--from must be …` → `from`), to find its line."""
    match = re.search(r"--([a-z][a-z-]*)", message)
    if match:
        key = match.group(1).replace("-", "_")
        if key in raw:
            return key
    return None


def _default_label(title: str, query: Query) -> str:
    """`Customer Effort Score by Channel`: the KPI's title and the segments it is split by, so
    that two entries of one KPI read apart (a period is the trend, not named)."""
    return f"{title} by {', '.join(query.by)}" if query.by else title


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "kpi"
