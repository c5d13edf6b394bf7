"""`cx inspect` and `cx init`: what a file holds (columns, types, missing values, examples),
which KPI roles its columns match by alias, and which KPIs it can feed — found with the very
column detection the KPI commands use — and a starter report config from that."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from .columns import by_question, normalise
from .definition import Kpi
from .errors import CxError
from .formats import Reader
from .planning import Query, plan_columns
from .profiles import apply, recognise
from .registry import all_kpis
from .source import Input, ReadSettings, open_reader, resolve_inputs
from .times import MixedOrder, TimeFormat, TimeSettings, decide_format, parse_times
from .values import parse_booleans, parse_numbers

SAMPLE_ROWS = 10_000
MATCH_SHARE = 0.95  # values that must parse for a column to be called numeric, a time …


@dataclass
class ColumnInfo:
    name: str
    type: str  # integer, number, boolean, timestamp, text (or the Parquet type), with detail
    missing: int
    examples: list[str]
    roles: list[str] = field(default_factory=list)  # "nps --score", …
    label: str | None = None  # the survey question, where the export gives one


@dataclass
class Usable:
    """A KPI the file can feed, and the command line that computes it."""

    kpi: str
    roles: dict[str, str]  # role -> column
    input: str | None = None  # for a KPI with several inputs: which one this file is
    command: str = ""
    why: str = ""  # how each column was found, and what its values are


@dataclass
class FileInfo:
    path: str
    format: str
    rows_sampled: int
    columns: list[ColumnInfo]
    usable: list[Usable]
    unusable: dict[str, str]  # kpi -> why not
    layout: str | None = None  # a survey platform's header recognised
    profile: str | None = None  # the export profile its header matches

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "layout": self.layout,
            "profile": self.profile,
            "rows_sampled": self.rows_sampled,
            "columns": [c.__dict__ for c in self.columns],
            "kpis": [u.__dict__ for u in self.usable],
            "not_found": self.unusable,
        }


def inspect_file(
    spec: str, rows: int = SAMPLE_ROWS, settings: ReadSettings | None = None
) -> FileInfo:
    """Describe the first file `spec` resolves to, from its first `rows` rows."""
    item = resolve_inputs([spec])[0]
    reader = open_reader(item, settings)
    header, labels = list(reader.columns), reader.labels
    sample = _sample(reader, header, rows)
    columns = [_describe(name, sample.column(name), labels.get(name)) for name in header]
    by_norm = {normalise(c.name): c for c in columns}
    for name, cls in all_kpis().items():
        for role in cls.roles:
            matched = [
                by_norm.get(normalise(a)) for a in dict.fromkeys([role.default, *role.aliases])
            ]
            if role.wording:
                asked = by_question(role, header, labels)
                matched += [c for c in columns if c.name in asked]
            for column in matched:
                if column is not None and f"{name} {role.option}" not in column.roles:
                    column.roles.append(f"{name} {role.option}")
    usable, unusable = _usable(item, header, labels, sample)
    found = recognise(header)
    return FileInfo(
        item.path,
        item.format,
        sample.num_rows,
        columns,
        usable,
        unusable,
        reader.layout,
        found.name if found else None,
    )


def _sample(reader: Reader, header: Sequence[str], rows: int) -> pa.Table:
    batches, count = [], 0
    for batch in reader.batches(list(header)):
        batches.append(batch)
        count += batch.num_rows
        if count >= rows:
            break
    if not batches:
        return pa.table({name: pa.array([], pa.string()) for name in header})
    return pa.Table.from_batches(batches).slice(0, rows)


def _describe(name: str, column: pa.ChunkedArray, label: str | None = None) -> ColumnInfo:
    """The column's type (the Parquet type, or what ≥95% of a text column's values parse as,
    with the time format or answer labels found) and its missing values (null or blank text;
    for a numeric or time column also the spellings cx reads as missing, like `N/A`)."""
    import numpy as np
    import pyarrow.compute as pc

    array = column.combine_chunks()
    blank = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    is_text = pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    if is_text:
        stripped = pc.utf8_trim_whitespace(array)
        blank |= np.asarray(pc.equal(stripped, "").fill_null(True).to_numpy(zero_copy_only=False))
    kind, missing = (str(array.type), int(blank.sum())) if not is_text else ("text", None)
    present = int((~blank).sum())
    if is_text and present:
        decision = _time_format(array)
        for found, parse in (
            ("number", parse_numbers),
            ("boolean", parse_booleans),
            ("timestamp", lambda a: parse_times(a, TimeSettings(formats=(("t", decision),)), "t")),
        ):
            parsed = parse(array)
            given = int((~parsed.missing).sum())  # `N/A` is missing, not a failed number
            if given and int(parsed.valid.sum()) >= MATCH_SHARE * given:
                kind, missing = found, int(parsed.missing.sum())
                if found == "number" and (parsed.values[parsed.valid] % 1 == 0).all():
                    kind = "integer"  # epoch times are numbers too: the time role reads them
                if found == "timestamp" and decision.kind != "iso":
                    kind = f"timestamp ({decision.describe()})"
                break
        else:
            kind = _labelled(array) or kind
    examples = []
    for value in array.drop_null().unique().to_pylist():
        text = str(value)
        if text.strip() and text not in examples:
            examples.append(text if len(text) <= 30 else text[:29] + "…")
        if len(examples) == 3:
            break
    missing_count = int(blank.sum()) if missing is None else missing
    return ColumnInfo(name, kind, missing_count, examples, label=label)


def _time_format(array: pa.Array) -> TimeFormat:
    try:
        decision = decide_format(array)
    except MixedOrder:
        return TimeFormat()
    return decision.format


def _labelled(array: pa.Array) -> str | None:
    """`text (5-point satisfaction labels)` for a column of verbal answers cx reads."""
    from .labels import choose

    for kpi in ("csat", "ces", "nps"):
        found = choose(kpi, array)
        if found is not None and found.name != "numbered":
            return f"text ({found.name} labels)"
    return None


PROPOSE_MAX_INVALID = 0.2  # a KPI is proposed only when at most this share of values misfit
_CUSTOMER_WORDS = re.compile(r"customer|client|account|user|member|subscriber|email|buyer|cust")


def _usable(
    item: Input, header: list[str], labels: dict[str, str], sample: pa.Table
) -> tuple[list[Usable], dict[str, str]]:
    """The KPIs the file can feed, their columns found as `cx <kpi>` itself finds them
    (profile, alias, question wording), and only where the values fit the KPI."""
    usable, unusable = [], {}
    for name, cls in all_kpis().items():
        inputs = cls.inputs or {None: None}
        reasons = []
        for input_name, roles in inputs.items():
            kpi, query, profile, _ = (
                apply(cls(), Query(), header)
                if not cls.inputs
                else (
                    cls(),
                    Query(),
                    None,
                    [],
                )
            )
            try:
                plan = plan_columns(kpi, query, header, item.path, lambda _: None, roles, labels)
                why = _fits(kpi, plan.roles, sample, labels, profile)
            except CxError as exc:
                reasons.append(exc.message.split(": ", 1)[-1].split("; columns")[0])
                continue
            use = Usable(name, plan.roles, input_name, why=why)
            use.command = _command(name, item.path, plan.roles, input_name)
            usable.append(use)
            break
        else:
            unusable[name] = reasons[0] if reasons else "no columns found"
    return usable, unusable


def _fits(kpi: Kpi, roles: dict[str, str], sample: pa.Table, labels: dict, profile: Any) -> str:
    """How each role's column was found and what its values are; a CxError saying why not
    when the values do not fit the KPI (a 0–10 column is no CSAT, a ticket id no customer)."""
    from .readings import fit

    kpi = kpi.bind(roles)
    columns = {role: sample.column(column) for role, column in roles.items()}
    kpi, times = fit(kpi, columns, roles)
    parsed = kpi.parse(columns, times)
    parts = []
    for role in kpi.roles:
        if role.name not in roles:
            continue
        column, values = roles[role.name], parsed[role.name]
        present = ~values.missing
        if present.sum() and values.invalid.sum() > PROPOSE_MAX_INVALID * present.sum():
            share = values.invalid.sum() / present.sum()
            raise CxError(f"{share:.0%} of {column!r} does not fit {role.option}")
        parts.append(f"{role.option} {column!r} {_how(role, column, labels, profile, kpi.name)}")
        valid = values.valid
        if role.kind == "score" and valid.any():
            low, high = int(values.values[valid].min()), int(values.values[valid].max())
            if kpi.name == "nps" and high < 8:
                raise CxError(f"{column!r} stays within {low}–{high}, no 0–10 likelihood answers")
            parts[-1] += f", values {low}–{high}"
        if role.name in _CUSTOMER_ROLES.get(kpi.name, ()) and _row_ids(values, column):
            raise CxError(f"{column!r} is unique to each row, the rows' id, not a customer's")
    if kpi.name in ("churn", "retention") and "end" not in roles:
        raise CxError("no end (cancel, churn) date column")
    return "; ".join(parts)


_CUSTOMER_ROLES = {
    "churn": ("id",),
    "retention": ("id",),
    "arpu": ("customer",),
    "clv": ("customer",),
    "mau": ("user",),
    "redemption": ("member",),
}


def _row_ids(values: Any, column: str) -> bool:
    """Whether a column of ids is unique to each row and not named as customers' ids."""
    from .values import rows_of

    present = rows_of(values.values, values.valid).tolist()
    if len(present) < 10 or _CUSTOMER_WORDS.search(column.lower()):
        return False
    return len(set(present)) == len(present)


def _how(role: Any, column: str, labels: dict, profile: Any, kpi: str) -> str:
    """How a role's column was found: the export profile, its name, or its question."""
    if profile is not None and profile.roles_for(kpi).get(role.name) == column:
        return f"(the {profile.name} profile)"
    names = {normalise(a) for a in (role.default, *role.aliases)}
    if normalise(column) in names or normalise(column.rsplit(".", 1)[-1]) in names:
        return "(its name)"
    return "(its question)" if role.wording else "(its name)"


def _command(kpi: str, path: str, roles: dict[str, str], input_name: str | None) -> str:
    cls = all_kpis()[kpi]
    options = {r.name: r.option for r in cls.roles}
    parts = ["cx", kpi]
    parts += [f"--{input_name} {_quote(path)}"] if input_name else [_quote(path)]
    parts += [f"{options[role]} {_quote(column)}" for role, column in roles.items()]
    if input_name:
        others = [n for n in cls.inputs if n != input_name]
        parts += [f"--{n} FILE" for n in others]
    return " ".join(parts)


def _quote(text: str) -> str:
    return text if re.fullmatch(r"[\w./@%+=:,-]+", text) else "'" + text.replace("'", "'\\''") + "'"


def starter_config(files: Sequence[str], base: Path) -> str:
    """A cx.toml computing every KPI each file can feed, paths relative to `base`."""
    infos = [inspect_file(spec) for spec in files]
    lines = [
        "# cx report config: written by `cx init`; run it with `cx report --config cx.toml`.",
        "# Every [[kpi]] takes the options of its subcommand (`cx <kpi> --help`), dashes as",
        "# underscores; add `by`, `period`, `where`, `target`, `baseline` and `benchmark`.",
        "",
        "[report]",
        'title = "CX report"',
        'output_dir = "cx-report"',
        'history = "cx-report/history.parquet"',
        "",
        "[inputs]",
    ]
    names: dict[str, str] = {}
    for info in infos:
        name = _input_name(info.path, names.values())
        names[info.path] = name
        lines.append(f"{name} = {_toml(_relative(info.path, base))}")
    lines.append("")
    multi: dict[str, dict[str, tuple[str, Usable]]] = {}
    files_of = Counter(u.kpi for info in infos for u in info.usable if u.input is None)
    for info in infos:
        for use in info.usable:
            if use.input is not None:
                multi.setdefault(use.kpi, {})[use.input] = (names[info.path], use)
                continue
            source = names[info.path]
            title = all_kpis()[use.kpi].title
            label = f"{title} ({source})" if files_of[use.kpi] > 1 else title  # one key each
            lines += _entry(use.kpi, {"input": source}, use.roles, use.why, label)
    for kpi, found in multi.items():
        if set(found) == set(all_kpis()[kpi].inputs):
            inputs = {name: source for name, (source, _) in found.items()}
            roles = {r: c for _, use in found.values() for r, c in use.roles.items()}
            lines += _entry(kpi, inputs, roles)
    if not any(line == "[[kpi]]" for line in lines):
        raise CxError(
            "no KPI could be found from the columns of " + ", ".join(files),
            hint="run cx inspect FILE to see the columns, then write the [[kpi]] entries",
        )
    return "\n".join(lines)


def _entry(
    kpi: str, inputs: dict[str, str], roles: dict[str, str], why: str = "", label: str = ""
) -> list[str]:
    cls = all_kpis()[kpi]
    lines = [f"# found: {why}"] if why else []
    lines += ["[[kpi]]", f"kpi = {_toml(kpi)}", f"label = {_toml(label or cls.title)}"]
    lines += [f"{name} = {_toml(source)}" for name, source in inputs.items()]
    lines += [f"{role} = {_toml(column)}" for role, column in roles.items()]
    bound = "min" if cls().higher_is_better else "max"
    lines.append(f"# target = {{ {bound} = VALUE }}")
    try:
        cls().check()
    except CxError as exc:  # an option only the user can give: the entry waits for it
        option = exc.message.split("cx " + kpi + " ", 1)[-1]
        return [f"# {option}", *(f"# {line}" for line in lines), ""]
    return [*lines, ""]


def _input_name(path: str, taken: Any) -> str:
    stem = Path(path).name.split(".")[0]
    base = re.sub(r"\W+", "_", stem).strip("_").lower() or "input"
    name, i = base, 2
    while name in set(taken):
        name, i = f"{base}_{i}", i + 1
    return name


def _relative(path: str, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(Path(path).resolve())


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
