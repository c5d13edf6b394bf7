"""Partial states on disk: `--emit-state FILE` writes what a run read, before any result is
finalised, and `cx merge` combines the states of separate jobs (one per region, per day) into
the result one run over all their inputs would give.

A state file is an Arrow IPC file (zstd): one row whose columns hold the arrays of the states
(ids, histograms, counts) and the sketches' own serialisations, with two JSON documents in the
schema metadata: the envelope (format version, cx version, the KPI and its definition, options,
columns, by, period, window, time zone, filters, and each input with a fingerprint) and the
shape of the states, in which arrays are referred to by column. Nothing is pickled: reading a
state builds only cx's own dataclasses, numpy and Arrow arrays and sketches, never code named
by the file.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from . import __version__
from .errors import InputError, UsageError
from .fragments import Accumulator
from .planning import Job, Plan, Query
from .result import Report
from .source import Input

FORMAT = "cx-state"
FORMAT_VERSION = 1
FINGERPRINT_BYTES = 1 << 16  # a fingerprint hashes the size, the first and the last 64 KiB
# What must be equal in states that merge (their envelope's keys), in the order refused.
MUST_MATCH = (
    "format_version",
    "cx",
    "kpi",
    "definition",
    "options",
    "columns",
    "by",
    "period",
    "window",
    "time",
    "time_format",
    "tz",
    "filters",
    "confidence",
    "adjust",
)


# --- encoding any state as JSON plus arrays ---------------------------------------------


class _Encoder:
    def __init__(self) -> None:
        self.arrays: list[pa.Array] = []

    def _array(self, array: pa.Array | pa.ChunkedArray) -> int:
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        self.arrays.append(array)
        return len(self.arrays) - 1

    def encode(self, value: Any) -> Any:
        if isinstance(value, enum.Enum):  # before str: a StrEnum is one
            cls = type(value)
            if not cls.__module__.startswith("cxcli."):
                raise TypeError(f"cannot write a {cls.__qualname__} into a state")
            return {"$enum": f"{cls.__module__}:{cls.__qualname__}", "value": value.value}
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int | float):
            return value if isinstance(value, int) or np.isfinite(value) else {"$float": str(value)}
        if isinstance(value, np.generic):
            return self.encode(value.item())
        if isinstance(value, np.ndarray):
            flat = np.ascontiguousarray(value).reshape(-1)
            return {"$numpy": self._array(pa.array(flat)), "shape": list(value.shape)}
        if isinstance(value, pa.Array | pa.ChunkedArray):
            return {"$arrow": self._array(value)}
        kind = type(value).__name__
        if kind in ("hll_sketch", "kll_doubles_sketch", "frequent_strings_sketch"):
            data = value.serialize_compact() if kind == "hll_sketch" else value.serialize()
            return {"$sketch": kind, "data": self._array(pa.array([data], pa.binary()))}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v) for v in value]}
        if isinstance(value, dict):
            return {"$dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, set | frozenset):
            return {"$set": [self.encode(v) for v in sorted(value, key=repr)]}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            cls = type(value)
            if not cls.__module__.startswith("cxcli."):
                raise TypeError(f"cannot write a {cls.__qualname__} into a state")
            fields = {f.name: self.encode(getattr(value, f.name)) for f in dataclasses.fields(cls)}
            return {"$class": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
        raise TypeError(f"cannot write a {type(value).__qualname__} into a state")


def _decode(value: Any, arrays: Sequence[pa.Array]) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "$float" in value:
        return float(value["$float"])
    if "$numpy" in value:
        flat = arrays[value["$numpy"]].to_numpy(zero_copy_only=False)
        return np.array(flat).reshape(value["shape"])
    if "$arrow" in value:
        return arrays[value["$arrow"]]
    if "$sketch" in value:
        from .sketches import load_frequent, load_hll, load_kll

        data = arrays[value["data"]][0].as_py()
        loaders = {"hll_sketch": load_hll, "kll_doubles_sketch": load_kll}
        return loaders.get(value["$sketch"], load_frequent)(data)
    if "$tuple" in value:
        return tuple(_decode(v, arrays) for v in value["$tuple"])
    if "$dict" in value:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["$dict"]}
    if "$set" in value:
        return {_decode(v, arrays) for v in value["$set"]}
    if "$enum" in value:
        return _class(value["$enum"], enum.Enum)(value["value"])
    if "$class" in value:
        cls = _class(value["$class"])
        fields = {k: _decode(v, arrays) for k, v in value["fields"].items()}
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        obj = cls(**{k: v for k, v in fields.items() if k in init})
        for key, item in fields.items():
            if key not in init:
                object.__setattr__(obj, key, item)
        return obj
    raise ValueError("unknown value")


def _class(name: str, kind: type | None = None) -> Any:
    """A dataclass (or enum) of cx's own, by `module:qualname`; nothing else is constructed."""
    module, _, qualname = name.partition(":")
    if not module.startswith("cxcli.") or "." in qualname:
        raise ValueError(f"not a cx class: {name}")
    found = getattr(importlib.import_module(module), qualname, None)
    wanted = issubclass(found, kind) if isinstance(found, type) and kind else None
    if not isinstance(found, type) or not (wanted or dataclasses.is_dataclass(found)):
        raise ValueError(f"not a cx class: {name}")
    return found


# --- writing ------------------------------------------------------------------------------


def fingerprint(item: Input, endpoint: str | None = None) -> str | None:
    """A cheap fingerprint of a file's content: sha256 over its size and its first and last
    64 KiB (the same file under two names, or copied, has the same one); None for stdin and
    data in memory, which cannot be read again. `endpoint`: an S3 store's (--s3-endpoint)."""
    if item.is_stdin or item.format == "arrow" or item.path == "-":
        return None
    digest = hashlib.sha256(str(item.size).encode())
    if item.remote:
        from .datasets import open_file

        source: Any = open_file(item, endpoint)
    else:
        source = open(item.read_path, "rb")  # noqa: SIM115 (closed below)
    with source:  # random access: the tail is read without the middle
        digest.update(source.read(FINGERPRINT_BYTES))
        size = item.size or 0
        if size > 2 * FINGERPRINT_BYTES:
            source.seek(size - FINGERPRINT_BYTES)
        digest.update(source.read(FINGERPRINT_BYTES) if size > FINGERPRINT_BYTES else b"")
    return "sample-sha256:" + digest.hexdigest()


def envelope(report: Report) -> dict[str, Any]:
    """What a state says of the run it comes from (compared by `cx merge`)."""
    from .definition import option_fields, role_columns

    kpi, query, params = report.kpi, report.query, report.params
    roles = {r: c for plan in report.plans.values() for r, c in plan.roles.items()}
    columns = {role.name: role_columns(role, roles) for role in kpi.roles}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "cx": __version__,
        "kpi": kpi.name,
        "definition": kpi.definition,
        "options": {f.name: _plain(getattr(kpi, f.name)) for f in option_fields(type(kpi))},
        "columns": columns,
        "by": list(params.get("by") or []),
        "period": params.get("period"),
        "window": [params.get("from"), params.get("to")] if kpi.windowed else None,
        "time": params.get("time"),
        "time_format": query.time_format,
        "tz": query.tz,
        "filters": {"where": query.where, "since": query.since, "until": query.until},
        "confidence": query.confidence,
        "adjust": query.adjust,
        "inputs": [
            {
                **item.to_dict(),
                "fingerprint": fingerprint(item, query.s3_endpoint),
                "passes": item.passes,
            }
            for item in report.inputs
        ],
    }


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def state_bytes(report: Report) -> bytes:
    """The state file of a finished run: its envelope and its merged accumulator."""
    acc: Accumulator = report.accumulator
    encoder = _Encoder()
    shape = encoder.encode(
        {
            "kpi": acc.kpi,
            "query": acc.query,
            "plan": acc.plan,
            "plans": report.plans,
            "state": acc.state,
            "quality": acc.quality,
            "groups": acc.groups,
            "group_quality": acc.group_quality,
            "filtered_out": acc.filtered_out,
        }
    )
    columns = {}
    for index, array in enumerate(encoder.arrays):
        offsets = pa.array([0, len(array)], pa.int64())
        columns[f"a{index}"] = pa.LargeListArray.from_arrays(offsets, array)
    metadata = {
        b"cx.envelope": json.dumps(envelope(report)).encode(),
        b"cx.state": json.dumps(shape).encode(),
    }
    table = pa.table(columns or {"empty": pa.array([0])}).replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def write_state(report: Report, path: str) -> None:
    """--emit-state FILE: written atomically, never through a link cx did not create."""
    from .output import write_atomic

    write_atomic(path, state_bytes(report))


# --- reading and merging -------------------------------------------------------------------


@dataclasses.dataclass
class State:
    """A state file read back: its envelope and its accumulator."""

    path: str
    envelope: dict[str, Any]
    accumulator: Accumulator
    plans: dict[str, Plan]  # of each input of the KPI


def read_state(path: str) -> State:
    """A state file, or an error naming it when it is not one cx can merge."""
    try:
        with pa.memory_map(str(path)) if Path(path).is_file() else open(path, "rb") as source:
            table = pa.ipc.open_file(source).read_all()
        metadata = table.schema.metadata or {}
        head = json.loads(metadata[b"cx.envelope"])
        shape = json.loads(metadata[b"cx.state"])
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, pa.ArrowInvalid, KeyError, ValueError) as exc:
        raise InputError(
            f"{path}: not a cx state file ({str(exc)[:120]})",
            hint="write one with: cx <kpi> FILES --emit-state FILE",
        ) from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise InputError(f"{path}: not a cx state file")
    if head.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"{path}: a state of format {head.get('format_version')}; this cx "
            f"({__version__}) reads format {FORMAT_VERSION}",
            hint="write the states again with the same cx version",
        )
    try:
        arrays = []
        if table.column_names != ["empty"]:
            arrays = [table.column(f"a{i}")[0].values for i in range(table.num_columns)]
        parts = _decode(shape, arrays)
        acc = Accumulator(parts["kpi"], parts["query"], parts["plan"])
    except (KeyError, ValueError, TypeError, IndexError, pa.ArrowException) as exc:
        raise InputError(f"{path}: a damaged cx state file ({str(exc)[:120]})") from None
    acc.state, acc.quality = parts["state"], parts["quality"]
    acc.groups, acc.group_quality = parts["groups"], parts["group_quality"]
    acc.filtered_out = parts["filtered_out"]
    return State(str(path), head, acc, parts["plans"])


def merge_states(paths: Sequence[str]) -> Report:
    """The report of states merged in the order given, or an error for states that do not
    belong together: of another KPI, definition, options, columns, grouping, window, time
    zone, filters or cx version, or whose inputs overlap (a file counted twice)."""
    from .finalisation import finish

    if not paths:
        raise UsageError("cx merge needs at least one state file")
    states = [read_state(p) for p in paths]
    first = states[0]
    for other in states[1:]:
        for key in MUST_MATCH:
            a, b = first.envelope.get(key), other.envelope.get(key)
            if a != b:
                hint = "compute every state with the same cx version, KPI and options"
                if key == "window":
                    hint = "give every job the same --from and --to (a default window is each "
                    hint += "input's own last month)"
                raise UsageError(
                    f"{other.path}: its {key} is {_shown(b)}, but {first.path}'s is {_shown(a)}: "
                    "states merge only when they were computed the same way",
                    hint=hint,
                )
    seen: dict[str, tuple[str, str]] = {}
    for state in states:
        for item in state.envelope["inputs"]:
            mark = item.get("fingerprint")
            if mark is None:
                continue
            if mark in seen:
                where, path = seen[mark]
                raise UsageError(
                    f"{state.path}: its input {item['path']} is also in {where} ({path}): "
                    "merged, its rows would count twice",
                    hint="give each file to one job only",
                )
            seen[mark] = (state.path, item["path"])
    acc = Accumulator(first.accumulator.kpi, first.accumulator.query, first.accumulator.plan)
    for state in states:
        acc.absorb(state.accumulator)
    inputs = [
        Input(i["path"], i["format"], i["size"], rows=i["rows"], skipped=i.get("skipped_lines", 0))
        for state in states
        for i in state.envelope["inputs"]
    ]
    for item, state_item in zip(
        inputs, [i for s in states for i in s.envelope["inputs"]], strict=True
    ):
        item.sha256 = state_item.get("sha256")
    query: Query = acc.query
    job = Job(acc.kpi, {name: name for name in first.plans}, query)
    return finish(acc.kpi, job, first.plans, acc, inputs)


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:79] + "…"
