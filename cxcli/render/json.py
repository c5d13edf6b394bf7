"""JSON: the stable, versioned contract (schema_version 1); NaN and infinities become null.

Groups are written one at a time, so a report with a million segments never exists as one
string; the bytes are exactly those of `json.dumps(report.to_dict(), indent=2)`.
"""

from __future__ import annotations

import json
import math
from typing import Any, TextIO

from ..result import Report

_MARK = "\u0000groups\u0000"


def clean(value: Any) -> Any:
    """`value` with NaN and infinities replaced by None, keys as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """JSON as every cx report writes it: indented, UTF-8, NaN and infinities as null."""
    return json.dumps(clean(value), indent=2, ensure_ascii=False, allow_nan=False)


def render_json(report: Report, out: TextIO) -> None:
    head = report.to_dict(groups=False)
    if not report.groups:
        out.write(dumps(head) + "\n")
        return
    head["groups"] = _MARK
    before, after = dumps(head).split(json.dumps(_MARK), 1)
    out.write(before + "[")
    for index, group in enumerate(report.group_dicts()):
        text = dumps(group).replace("\n", "\n    ")
        out.write(("," if index else "") + "\n    " + text)
    out.write("\n  ]" + after + "\n")
