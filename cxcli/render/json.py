"""JSON: the stable, versioned contract (schema_version 1); NaN and infinities become null."""

from __future__ import annotations

import json
import math
from typing import Any

from ..report import Report


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def render_json(report: Report) -> str:
    return (
        json.dumps(_clean(report.to_dict()), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    )
