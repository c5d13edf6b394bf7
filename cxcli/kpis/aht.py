"""Average Handle Time (AHT).

Handle time = talk + hold + after-call work (`--talk`, `--hold`, `--acw`, any subset), or one
`--duration` column. Values are seconds or clock text (`HH:MM:SS`, `MM:SS`). In a row, an
empty component counts as 0; a row with every component empty is missing; a negative or
non-numeric value is invalid. Value: the mean handle time in seconds (exact); details: median,
p90 and `--quantiles` (exact; see duration.py), and the mean of each component.

>>> Aht().compute({"talk": [300, "5:00", None], "hold": [60, None, 30],
...                "acw": [40, 20, None]}).value
250.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..errors import ColumnNotFound, UsageError
from ..kpi import Estimate, Role
from ..registry import register
from .duration import US, DurationKpi, DurationState
from .tickets import TIME_ALIASES

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..values import Parsed, TimeSettings

COMPONENTS = ("talk", "hold", "acw")
ROLES = (
    Role("talk", "talk_seconds", ("talk", "talk_time", "talk_duration"), "talk time", False),
    Role("hold", "hold_seconds", ("hold", "hold_time", "hold_duration"), "hold time", False),
    Role(
        "acw",
        "acw_seconds",
        ("acw", "acw_time", "wrap", "wrap_time", "wrap_up", "after_call_work", "wrapup_seconds"),
        "after-call work time",
        False,
    ),
    Role(
        "duration",
        "handle_seconds",
        ("handle_time", "handling_time", "aht", "duration", "handle_duration"),
        "the whole handle time (instead of the components)",
        False,
    ),
)


@register
@dataclass(frozen=True)
class Aht(DurationKpi):
    """Mean handle time (talk + hold + after-call work), with median and p90."""

    name = "aht"
    title = "Average Handle Time"
    roles = ROLES
    time_aliases = ("started_at", "start_time", "call_start", *TIME_ALIASES)
    examples = (
        "cx aht calls.csv --talk Talk --hold Hold --acw Wrap",
        "cx aht calls.parquet --duration handle_time --by agent_id --top 10 --min-n 30",
        "cx aht calls.csv --period week --quantiles 0.5,0.9,0.99 --max 420",
    )

    parts: tuple[str, ...] = field(default=COMPONENTS, metadata={"cli": False})  # set by bind

    @property
    def definition(self) -> str:
        return "aht.duration" if not self.parts else "aht.components"

    def bind(self, roles: Mapping[str, str]) -> Aht:
        return replace(self, parts=tuple(r for r in COMPONENTS if r in roles))

    def select_roles(self, named: dict[str, str], found: dict[str, str]) -> dict[str, str]:
        named_parts = {k: v for k, v in named.items() if k in COMPONENTS}
        if "duration" in named and named_parts:
            raise UsageError("give either --duration or --talk/--hold/--acw, not both")
        if "duration" in named:
            return {"duration": named["duration"]}
        parts = named_parts or {k: v for k, v in found.items() if k in COMPONENTS}
        if parts:
            return parts
        if "duration" in found:
            return {"duration": found["duration"]}
        raise ColumnNotFound(
            "no column found for --talk, --hold, --acw or --duration",
            hint="name the columns, e.g. --talk Talk --hold Hold --acw Wrap",
        )

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        import numpy as np

        from ..values import Parsed, parse_durations

        parsed = {role: parse_durations(column) for role, column in columns.items()}
        # An empty component counts as 0 in its row.
        return {
            role: Parsed(np.where(p.missing, 0.0, p.values), p.missing, p.invalid)
            for role, p in parsed.items()
        }

    def row_status(self, parsed: Mapping[str, Parsed]) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        invalid = np.logical_or.reduce([p.invalid for p in parsed.values()])
        missing = np.logical_and.reduce([p.missing for p in parsed.values()]) & ~invalid
        return missing, invalid

    def update(self, state: DurationState, values: Mapping[str, np.ndarray]) -> DurationState:
        import numpy as np

        if not values:
            return state
        handle = np.sum([v for v in values.values()], axis=0)
        state.add(np.asarray(handle, dtype=np.float64))
        for role, seconds in values.items():
            if role in COMPONENTS:
                state.count(f"{role}_us", int(np.rint(seconds * US).astype(np.int64).sum()))
        return state

    def finalize(self, state: DurationState, confidence: float = 0.95) -> Estimate:
        estimate = self.duration_details(state, confidence)
        for role in self.parts:
            total = state.counters.get(f"{role}_us", 0)
            estimate.details[f"{role}_mean"] = total / US / state.n if state.n else None
        return estimate
