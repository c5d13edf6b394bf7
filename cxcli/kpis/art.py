"""Average Resolution Time (ART).

Resolution time = `--resolved` − `--created`, over resolved tickets; a ticket with no
resolution time is counted as `unresolved` (a used row, outside the mean). A ticket resolved
before it was created is invalid. Times may be dates, naive timestamps (UTC, or `--tz`) or carry
an offset (`Z`, `+02:00`). Value: the mean resolution time in seconds (exact); details: median,
p90 and `--quantiles` (exact; see duration.py).

>>> Art().compute({"created": ["2025-01-01T00:00:00Z", "2025-01-01"],
...                "resolved": ["2025-01-01T02:00:00+01:00", None]}).value
3600.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..kpi import Estimate, Role
from ..registry import register
from .duration import DurationKpi, DurationState
from .tickets import TIME_ALIASES, UNRESOLVED, unresolved_as_value

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

CREATED = Role(
    "created",
    "created_at",
    (
        *("created", "opened", "opened_at", "open_date", "created_date", "created_time"),
        *("submitted_at", "reported_at"),
    ),
    "ticket creation times",
    kind="time",
)
RESOLVED = Role(
    "resolved",
    "resolved_at",
    (
        *("resolved", "closed", "closed_at", "solved_at", "resolved_date", "close_date", "solved"),
        *("resolved_time", "closed_time"),
    ),
    "ticket resolution times (empty = unresolved)",
    kind="time",
)


@register
@dataclass(frozen=True)
class Art(DurationKpi):
    """Mean time from ticket creation to resolution, with median and p90."""

    name = "art"
    title = "Average Resolution Time"
    roles = (CREATED, RESOLVED)
    time_role = "created"  # periods and --since/--until go by creation time by default
    time_aliases = TIME_ALIASES
    examples = (
        "cx art tickets.csv --created Opened --resolved Closed",
        "cx art tickets.parquet --by queue --period month --quantiles 0.5,0.9,0.99",
        "cx art tickets.csv --tz Europe/Berlin --since -30d --time created_at --max 86400",
    )

    @property
    def definition(self) -> str:
        return "art.mean"

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        from ..times import parse_times

        created = parse_times(columns["created"], times, "created")
        resolved = parse_times(columns["resolved"], times, "resolved")
        return {"created": created, "resolved": unresolved_as_value(resolved, created)}

    def update(self, state: DurationState, values: Mapping[str, np.ndarray]) -> DurationState:
        import numpy as np

        resolved = values["resolved"] != UNRESOLVED
        state.count("unresolved", int((~resolved).sum()))
        seconds = (values["resolved"][resolved] - values["created"][resolved]) / 1e6
        state.add(seconds.astype(np.float64))
        return state

    def finalize(self, state: DurationState, confidence: float = 0.95) -> Estimate:
        estimate = self.duration_details(state, confidence)
        estimate.details["resolved"] = state.n
        estimate.details["unresolved"] = state.counters.get("unresolved", 0)
        return estimate
