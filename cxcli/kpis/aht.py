"""Average Handle Time (AHT).

Handle time = a total handle-time column (`--handle`), or talk + hold + after-call work
(`--talk`, `--hold`, `--acw`, any subset). When a file has both, the total wins and the
components' means are details; naming components (and not the total) uses the components,
with every component the file has. Values are seconds (or `--unit`, or the unit a column's
name states: `… in minutes`, `(in hrs)`, `_ms`) or clock text (`H:MM:SS`; two-field `MM:SS`
for components, `--clock` or the header for a total). In a row, an empty component counts as
0; a row with every component (or its total) empty is missing; a negative or non-numeric value,
or one over LONGEST_HANDLE (7 days: `99999:00:00` is no call), is invalid. Value: the mean
handle time in seconds (exact); details: median, p90 and `--quantiles` (exact; see
duration.py), and the mean of each component.

>>> Aht().compute({"talk": [300, "5:00", None], "hold": [60, None, 30],
...                "acw": [40, 20, None]}).value
250.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..definition import Estimate, Role, option
from ..errors import ColumnNotFound
from ..registry import register
from ..sums import exact_total
from ..units import CLOCKS, SECONDS, DurationFormat
from .duration import US, DurationKpi, DurationState
from .tickets import TIME_ALIASES

LONGEST_HANDLE = 7 * 86400.0  # seconds: a longer handle time (or component) is invalid

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

COMPONENTS = ("talk", "hold", "acw")
_COMPONENT = {"required": False, "kind": "duration", "clock": "mm:ss"}
ROLES = (
    Role("talk", "talk_seconds", ("talk", "talk_time", "talk_duration"), "talk time", **_COMPONENT),
    Role("hold", "hold_seconds", ("hold", "hold_time", "hold_duration"), "hold time", **_COMPONENT),
    Role(
        "acw",
        "acw_seconds",
        (
            *("acw", "acw_time", "acw_duration", "wrap", "wrap_time", "wrap_up", "wrap_up_time"),
            *("after_call_work", "after_call_work_time", "wrapup_seconds"),
        ),
        "after-call work time",
        **_COMPONENT,
    ),
    Role(
        "handle",
        "handle_seconds",
        ("handle_time", "handling_time", "total_handle_time", "aht", "handle_duration"),
        "the total handle time (used before the components when a file has both)",
        False,
        kind="duration",
        former=("duration",),
    ),
)


@register
@dataclass(frozen=True)
class Aht(DurationKpi):
    """Mean handle time (talk + hold + after-call work), with median and p90."""

    name = "aht"
    invalid_rule = "a handle time is invalid when it is negative, not a duration or over 7 days"
    title = "Average Handle Time"
    roles = ROLES
    time_aliases = ("started_at", "start_time", "call_start", *TIME_ALIASES)
    examples = (
        "cx aht calls.csv --talk Talk --hold Hold --acw Wrap",
        "cx aht calls.parquet --handle handle_time --by agent_id --top 10 --min-n 30",
        "cx aht tickets.csv --handle 'Time tracked' --clock hh:mm",
        "cx aht calls.csv --period week --quantiles 0.5,0.9,0.99 --max 420",
    )

    unit: str | None = option(
        None,
        "unit of plain numbers (default: seconds, or the unit a column's name states)",
        choices=tuple(SECONDS),
    )
    clock: str | None = option(
        None,
        "how two-field clock text such as 02:51 reads (default: mm:ss for talk, hold and "
        "after-call work; what the header says for a total)",
        choices=CLOCKS,
    )
    parts: tuple[str, ...] = field(default=COMPONENTS, metadata={"cli": False})  # set by bind
    total: bool = field(default=False, metadata={"cli": False})  # set by bind
    formats: tuple[tuple[str, DurationFormat], ...] = field(default=(), metadata={"cli": False})

    @property
    def definition(self) -> str:
        return "aht.duration" if self.total or not self.parts else "aht.components"

    def bind(self, roles: Mapping[str, str]) -> Aht:
        parts = tuple(r for r in COMPONENTS if r in roles)
        return replace(self, parts=parts, total="handle" in roles)

    def select_roles(self, named: dict[str, str], found: dict[str, str]) -> dict[str, str]:
        """The total when the file has one (unless only components were named), with every
        component present as details; otherwise every component present."""
        parts = {k: v for k, v in {**found, **named}.items() if k in COMPONENTS}
        named_parts = any(k in COMPONENTS for k in named)
        total = named.get("handle") or (None if named_parts else found.get("handle"))
        if total:
            return {"handle": total, **parts}
        if parts:
            return parts
        raise ColumnNotFound(
            "no column found for --handle, --talk, --hold or --acw",
            hint="name the columns, e.g. --handle 'Handle Time' or --talk Talk --acw Wrap",
        )

    def fit(
        self,
        samples: Mapping[str, pa.Array],
        columns: Mapping[str, str],
        notice: Callable[[str], None],
        source: str = "",
    ) -> Aht:
        """The unit and clock reading of each duration column (see units.py)."""
        from ..units import decide_duration

        formats = tuple(
            (
                role.name,
                decide_duration(
                    columns[role.name],
                    samples[role.name],
                    unit=self.unit,
                    clock=self.clock,
                    role_clock=role.clock,
                    option=role.option,
                    notice=notice,
                    source=source,
                ),
            )
            for role in self.roles
            if role.name in columns and role.name in samples
        )
        return replace(self, formats=formats)

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        import numpy as np

        from ..units import parse_durations, within
        from ..values import Parsed

        formats = dict(self.formats)
        parsed = {
            role: within(parse_durations(col, formats.get(role)), LONGEST_HANDLE)
            for role, col in columns.items()
        }
        # An empty component counts as 0 in its row.
        return {
            role: p
            if role == "handle"
            else Parsed(np.where(p.missing, 0.0, p.values), p.missing, p.invalid)
            for role, p in parsed.items()
        }

    def row_status(self, parsed: Mapping[str, Parsed]) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        invalid = np.logical_or.reduce([p.invalid for p in parsed.values()])
        if "handle" in parsed:  # the total decides; an empty component is a 0 of the details
            return parsed["handle"].missing & ~invalid, invalid
        missing = np.logical_and.reduce([p.missing for p in parsed.values()]) & ~invalid
        return missing, invalid

    def update(self, state: DurationState, values: Mapping[str, np.ndarray]) -> DurationState:
        import numpy as np

        if not values:
            return state
        if "handle" in values:
            handle = values["handle"]
        else:
            handle = np.sum([values[role] for role in COMPONENTS if role in values], axis=0)
        state.add(np.asarray(handle, dtype=np.float64))
        for role, seconds in values.items():
            if role in COMPONENTS:
                state.count(f"{role}_us", exact_total(seconds, US))
        return state

    def finalize(self, state: DurationState, confidence: float = 0.95) -> Estimate:
        estimate = self.duration_details(state, confidence)
        for role in self.parts:
            total = state.counters.get(f"{role}_us", 0)
            estimate.details[f"{role}_mean"] = total / US / state.n if state.n else None
        return estimate
