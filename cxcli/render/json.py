"""JSON: the stable, versioned contract (schema_version 1); NaN and infinities become null.

Groups are written one at a time, so a report with a million segments never exists as one
string; the bytes are exactly those of `json.dumps(report.to_dict(), indent=2)`.
"""

from __future__ import annotations

import json
import math
from typing import Any, TextIO

from ..report import Report

_MARK = "\u0000groups\u0000"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_clean(value), indent=2, ensure_ascii=False, allow_nan=False)


def render_json(report: Report, out: TextIO) -> None:
    head = report.to_dict(groups=False)
    if not report.groups:
        out.write(_dumps(head) + "\n")
        return
    head["groups"] = _MARK
    before, after = _dumps(head).split(json.dumps(_MARK), 1)
    out.write(before + "[")
    for index, group in enumerate(report.group_dicts()):
        text = _dumps(group).replace("\n", "\n    ")
        out.write(("," if index else "") + "\n    " + text)
    out.write("\n  ]" + after + "\n")
