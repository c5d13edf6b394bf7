"""Datasets: hive-partitioned folders (`year=2025/month=03/part-0.parquet`), locally or in an
object store (`s3://`, `gs://`, `az://`) through `pyarrow.fs`.

A partition's `key=value` folders become string columns of every row under them (strings, as
`month=03` is not the number 3; --where compares them as numbers when given one), so --by and
--where can name them and a filter on them skips whole files (`prunes`). Object stores take
their credentials from each store's own environment and config files (AWS_ACCESS_KEY_ID,
~/.aws, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT_NAME …); an S3-compatible
endpoint comes from --s3-endpoint or AWS_ENDPOINT_URL (which pyarrow ignores). Inputs carry URIs,
never filesystem objects: a pickled S3FileSystem would carry the secret key to the workers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .errors import InputError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs

    from .planning import Plan, Query
    from .source import Input

SCHEMES = {"s3": "s3", "gs": "gcs", "gcs": "gcs", "az": "abfs", "abfs": "abfs", "abfss": "abfs"}
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PARTITION = re.compile(r"^([^=/]+)=(.*)$")
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def is_uri(spec: Any) -> bool:
    """Whether `spec` names an object in a store (`s3://…`); other schemes are an error."""
    if not isinstance(spec, str):
        return False
    match = _URI.match(spec)
    if match is None:
        return False
    if match.group(1).lower() not in SCHEMES:
        raise UsageError(
            f"{spec}: cx reads s3://, gs:// and az:// object stores, not {match.group(1)}://"
        )
    return True


def partitions_of(parts: Sequence[str]) -> tuple[tuple[str, str | None], ...]:
    """The hive `key=value` folders of a path below its dataset's root, as (key, value)."""
    out = []
    for part in parts:
        match = _PARTITION.match(part)
        if match:
            value = unquote(match.group(2))
            out.append((unquote(match.group(1)), None if value == HIVE_NULL else value))
    return tuple(out)


def endpoint_of(given: str | None) -> str | None:
    """--s3-endpoint, else AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (the AWS CLI's names)."""
    return given or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")


@lru_cache(maxsize=16)
def _store(scheme: str, endpoint: str | None) -> pafs.FileSystem:
    """One filesystem per store and endpoint in a process (it holds a connection pool)."""
    import pyarrow.fs as pafs

    if scheme == "s3":
        options: dict[str, Any] = {"connect_timeout": 10, "request_timeout": 60}
        if endpoint:
            url = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
            options.update(endpoint_override=url.netloc + url.path.rstrip("/"), scheme=url.scheme)
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            options["region"] = region
        return pafs.S3FileSystem(**options)
    if scheme == "gcs":
        return pafs.GcsFileSystem()
    account = os.environ.get("AZURE_STORAGE_ACCOUNT_NAME") or os.environ.get(
        "AZURE_STORAGE_ACCOUNT"
    )
    if not account:
        raise UsageError(
            "az:// needs the storage account: set AZURE_STORAGE_ACCOUNT_NAME",
            hint="credentials come from AZURE_STORAGE_ACCOUNT_KEY or the Azure default chain",
        )
    key = os.environ.get("AZURE_STORAGE_ACCOUNT_KEY")
    return pafs.AzureFileSystem(account, account_key=key) if key else pafs.AzureFileSystem(account)


def store(uri: str, endpoint: str | None = None) -> tuple[pafs.FileSystem, str]:
    """The filesystem of a URI and the path in it (`bucket/key`)."""
    url = urlsplit(uri)
    scheme = SCHEMES[url.scheme.lower()]
    try:
        fs = _store(scheme, endpoint_of(endpoint) if scheme == "s3" else None)
    except OSError as exc:
        raise InputError(f"{uri}: cannot reach the store: {_said(exc)}") from None
    return fs, (url.netloc + url.path).rstrip("/")


def list_objects(spec: str, endpoint: str | None) -> list[Input]:
    """The data objects a URI names: one object, or every .csv/.jsonl/.parquet object below a
    prefix (sorted; names starting with `.` or `_` left out, as Spark's `_SUCCESS`), each with
    the hive partitions of its path below the prefix."""
    import pyarrow.fs as pafs

    from .source import Input, suffix_kind

    fs, path = store(spec, endpoint)
    scheme = urlsplit(spec).scheme
    try:
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.File:
            found = [info]
        elif info.type == pafs.FileType.Directory or path.count("/") == 0:
            found = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
        else:
            raise InputError(f"{spec}: no such object or prefix in the store")
    except OSError as exc:
        raise InputError(f"{spec}: cannot list: {_said(exc)}") from None
    inputs = []
    for entry in sorted(found, key=lambda e: e.path):
        relative = entry.path[len(path) :].strip("/").split("/") if entry.path != path else []
        if entry.type != pafs.FileType.File or any(p.startswith((".", "_")) for p in relative):
            continue
        kind = suffix_kind(entry.path)
        if kind is None or kind[0] == "excel":
            continue
        uri = f"{scheme}://{entry.path}"
        item = Input(uri, kind[0], entry.size, compression=kind[1])
        item.partitions = partitions_of(relative[:-1])
        inputs.append(item)
    if not inputs:
        raise InputError(f"{spec}: holds no .csv, .jsonl or .parquet objects")
    return inputs


def open_file(item: Input, endpoint: str | None) -> pa.NativeFile:
    """An object opened for random access (Parquet reads its footer, then the columns)."""
    fs, path = store(item.path, endpoint)
    try:
        return fs.open_input_file(path)
    except OSError as exc:
        raise InputError(f"{item.path}: cannot read: {_said(exc)}") from None


def open_stream(item: Input, endpoint: str | None) -> pa.NativeFile:
    """An object opened as a stream, decompressed."""
    fs, path = store(item.path, endpoint)
    try:
        return fs.open_input_stream(path, compression=item.compression)
    except OSError as exc:
        raise InputError(f"{item.path}: cannot read: {_said(exc)}") from None


def _said(exc: OSError) -> str:
    """The store's error in one line (pyarrow's messages hold no credentials)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:299] + "…"


def prunes(item: Input, query: Query, plan: Plan) -> bool:
    """Whether the filters leave none of the file's rows, from its partition values alone: a
    --where whose `and` parts include one on partition columns only that is false, or
    --since/--until on a --time that is a partition column. Every row of a file has the same
    partition values, so the same evaluation as on its rows decides for all of them."""
    if not item.partitions:
        return False
    import pyarrow as pa

    values = dict(item.partitions)
    row = {key: pa.array([value], pa.string()) for key, value in values.items()}
    if plan.where is not None:
        from .where import BoolOp, columns_of, evaluate

        node = plan.where
        parts = node.parts if isinstance(node, BoolOp) and node.op == "and" else (node,)
        for part in parts:
            if set(columns_of(part)) <= values.keys() and not evaluate(part, row, 1)[0]:
                return True
    if plan.time in values and query.needs_time:
        from .readings import TIME_KEY
        from .times import parse_times

        times = parse_times(row[plan.time], plan.times, TIME_KEY)
        if not times.valid[0]:
            return False  # counted as invalid by the scan, not dropped here
        value = int(times.values[0])
        if query.since is not None and value < query.since:
            return True
        if query.until is not None and value >= query.until:
            return True
    return False
