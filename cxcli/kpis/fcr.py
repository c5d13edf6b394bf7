"""First Contact Resolution (FCR).

FCR = 100 · resolved on first contact / resolved. A ticket is resolved on first contact when it
took at most one contact (`--contacts`, a count of contacts, replies or touches) — or its
`--first-contact` flag is true — and it was not reopened (`--reopened`, a flag or a count of
reopens such as Zendesk's `Reopens`, more than 0 meaning reopened; empty means not reopened).
With `--resolved-at`, tickets with no resolution time are `unresolved`: counted, but outside
the denominator. Flags accept true/false, yes/no, y/n, t/f, 1/0 in any case;
anything else is invalid. Wilson interval; change between periods: pooled two-proportion test.

>>> Fcr().compute({"contacts": [1, 1, 3, 2], "reopened": ["no", "yes", "no", None]}).value
25.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Kpi, Role
from ..errors import ColumnNotFound, UsageError
from ..registry import register
from ..stats import Test, two_proportion_test, wilson
from .tickets import TIME_ALIASES, UNRESOLVED, unresolved_as_value

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

CONTACTS = Role(
    "contacts",
    "contacts",
    ("replies", "touches", "contact_count", "num_contacts", "interactions", "touch_count"),
    "contacts (or replies, touches) per ticket",
    False,
)
FIRST_CONTACT = Role(
    "first_contact",
    "first_contact",
    ("first_contact_resolution", "fcr", "resolved_first_contact", "first_contact_resolved"),
    "a first-contact-resolution flag (instead of --contacts)",
    False,
)
REOPENED = Role(
    "reopened",
    "reopened",
    ("is_reopened", "was_reopened", "reopens", "reopen_count", "times_reopened"),
    "a reopened flag, or a count of reopens",
    False,
)
RESOLVED_AT = Role(
    "resolved_at",
    "resolved_at",
    (
        "resolved",
        "closed_at",
        "solved_at",
        "resolved_date",
        "closed",
        "resolved_time",
        "closed_time",
    ),
    "resolution times (empty = unresolved)",
    False,
    kind="time",
)
# State: [resolved on first contact, resolved, unresolved, resolved but reopened]
FIRST, RESOLVED, OPEN, REOPENED_COUNT = range(4)


@register
@dataclass(frozen=True)
class Fcr(Kpi["np.ndarray"]):
    """Share of resolved tickets solved with one contact and never reopened."""

    name = "fcr"
    title = "First Contact Resolution"
    indicator = "leading"
    value_unit = "percent"
    roles = (CONTACTS, FIRST_CONTACT, REOPENED, RESOLVED_AT)
    time_aliases = TIME_ALIASES
    examples = (
        "cx fcr tickets.csv --contacts Touches --reopened Reopened --resolved-at Closed",
        "cx fcr tickets.csv --first-contact fcr_flag --by Queue --period month",
        "cx fcr tickets.parquet --by agent_id --top 10 --min-n 50 --min 70",
    )

    mode: str = field(default="contacts", metadata={"cli": False})  # or "flag"; set by bind

    @property
    def definition(self) -> str:
        return f"fcr.{self.mode}"

    def bind(self, roles: Mapping[str, str]) -> Fcr:
        return replace(self, mode="contacts" if "contacts" in roles else "flag")

    def select_roles(self, named: dict[str, str], found: dict[str, str]) -> dict[str, str]:
        if "contacts" in named and "first_contact" in named:
            raise UsageError("give either --contacts or --first-contact, not both")
        roles = {**found, **named}
        if "contacts" in named or ("contacts" in roles and "first_contact" not in named):
            roles.pop("first_contact", None)
        elif "first_contact" in roles:
            roles.pop("contacts", None)
        else:
            raise ColumnNotFound(
                "no column found for --contacts or --first-contact",
                hint="name one, e.g. --contacts Touches or --first-contact fcr_flag",
            )
        return roles

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        import numpy as np

        from ..times import parse_times
        from ..values import Parsed, parse_booleans, parse_flags_or_counts, parse_integers

        parsed: dict[str, Parsed] = {}
        if "contacts" in columns:
            parsed["contacts"] = parse_integers(columns["contacts"], 0, 2**53)
        if "first_contact" in columns:
            parsed["first_contact"] = parse_booleans(columns["first_contact"])
        if "reopened" in columns:
            flag = parse_flags_or_counts(columns["reopened"])  # empty: not reopened
            parsed["reopened"] = Parsed(flag.values, np.zeros_like(flag.missing), flag.invalid)
        if "resolved_at" in columns:
            parsed["resolved_at"] = unresolved_as_value(
                parse_times(columns["resolved_at"], times, "resolved_at")
            )
        return parsed

    def row_status(self, parsed: Mapping[str, Parsed]) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        invalid = np.logical_or.reduce([p.invalid for p in parsed.values()])
        main = parsed["contacts"] if "contacts" in parsed else parsed["first_contact"]
        missing = main.missing & ~invalid
        if "resolved_at" in parsed:  # an open ticket needs no contact count
            missing &= parsed["resolved_at"].values != UNRESOLVED
        return missing, invalid

    def init(self) -> np.ndarray:
        import numpy as np

        return np.zeros(4, dtype=np.int64)

    def _flags(self, values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        import numpy as np

        n = len(next(iter(values.values())))
        if "contacts" in values:
            first = values["contacts"] <= 1
        else:
            first = values["first_contact"].astype(bool)
        reopened = values.get("reopened", np.zeros(n, dtype=bool)).astype(bool)
        resolved = (
            values["resolved_at"] != UNRESOLVED if "resolved_at" in values else np.ones(n, bool)
        )
        return first & ~reopened & resolved, resolved, ~resolved, reopened & resolved

    def update(self, state: np.ndarray, values: Mapping[str, np.ndarray]) -> np.ndarray:
        import numpy as np

        if not values:
            return state
        return state + np.array([int(flag.sum()) for flag in self._flags(values)])

    def update_groups(
        self, values: Mapping[str, np.ndarray], group_ids: np.ndarray, n_groups: int
    ) -> list[np.ndarray]:
        import numpy as np

        if not values or group_ids.size == 0:
            return [self.init() for _ in range(n_groups)]
        columns = [
            np.bincount(group_ids, weights=flag, minlength=n_groups).astype(np.int64)
            for flag in self._flags(values)
        ]
        return list(np.stack(columns, axis=1))

    def merge(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def finalize(self, state: np.ndarray, confidence: float = 0.95) -> Estimate:
        first, resolved, unresolved, reopened = (int(x) for x in state)
        details = {
            "resolved_first_contact": first,
            "resolved": resolved,
            "unresolved": unresolved,
            "reopened": reopened,
            "pct_reopened": 100 * reopened / resolved if resolved else None,
        }
        if resolved == 0:
            return Estimate(None, 0, None, details, ("no resolved tickets",))
        ci = wilson(first, resolved, confidence)
        return Estimate(100 * first / resolved, resolved, ci, details)

    def from_result(self, result: Mapping[str, Any]) -> np.ndarray | None:
        import numpy as np

        details = result.get("details") or {}
        names = ("resolved_first_contact", "resolved", "unresolved", "reopened")
        if not all(isinstance(details.get(name), int) for name in names):
            return None
        return np.array([details[name] for name in names], dtype=np.int64)

    def compare(self, before: np.ndarray, after: np.ndarray, confidence: float) -> Test | None:
        return two_proportion_test(
            int(before[FIRST]),
            int(before[RESOLVED]),
            int(after[FIRST]),
            int(after[RESOLVED]),
            confidence,
        )
