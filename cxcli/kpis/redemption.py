"""Loyalty points redemption rate.

Redemption = 100 · points redeemed / points issued in the window [from, to) (by default the
last complete calendar month the entries reach), over a ledger (`--member`, `--points`,
`--time`, and `--type`). With a type column, entries whose type is one of `--earn-value`
(default `earn`) issue points and those in `--redeem-value` (default `redeem`) redeem them —
comma-separated lists, any case — and points count by their size; `--expire-value` entries
(expire, expired, expiry) and `--adjust-value` ones (adjust, adjustment, correction) are their
own categories, in details: expired points count in `settled_rate` (redeemed or expired /
issued), adjustments are summed with their sign, apart; any other type is invalid.
Without a type column, positive points are issued and negative ones redeemed. Also the
member-based rate: members who redeemed / members who earned in the window. Wilson interval for
the member rate; change between periods: a pooled two-proportion z-test on it.

>>> from cxcli.windows import explicit_window
>>> kpi = Redemption().with_windows([explicit_window("2025-03-01", "2025-04-01")])
>>> kpi = kpi.bind({"member": "m", "points": "p", "type": "t", "time": "at"})
>>> est = kpi.compute({"member": ["a", "a", "b", "c"], "points": [100, 40, 60, 10],
...                    "type": ["earn", "Redeem", "EARN", "redeem"],
...                    "time": ["2025-03-01", "2025-03-05", "2025-03-09", "2025-02-28"]})
>>> est.value, est.details["member_rate"]
(25.0, 50.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Role, WindowedKpi, option
from ..distinct import DistinctSet
from ..errors import UsageError
from ..registry import register
from ..stats import Test, two_proportion_test, wilson
from .orders import MICRO, micros

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

MEMBER = Role(
    "member",
    "member_id",
    ("member", "customer_id", "customer", "account_id", "loyalty_id", "user_id"),
    "member ids",
)
POINTS = Role("points", "points", ("pts", "point", "amount", "points_delta"), "points")
TYPE = Role(
    "type",
    "type",
    ("kind", "entry_type", "transaction_type", "event", "action"),
    "entry types (earn / redeem); without it the sign of --points decides",
    False,
)
TIME = Role(
    "time",
    "timestamp",
    ("time", "at", "date", "created_at", "posted_at", "transaction_date", "ts"),
    "entry times",
    kind="time",
)
EARN, REDEEM, EXPIRE, ADJUST = 1, 2, 3, 4


def _values(text: str) -> tuple[str, ...]:
    return tuple(v.strip().lower() for v in text.split(",") if v.strip())


@dataclass
class Ledger:
    """Per window: points issued and redeemed (µ-points), and who earned and who redeemed."""

    issued: list[int] = field(default_factory=list)
    redeemed: list[int] = field(default_factory=list)
    earners: list[DistinctSet] = field(default_factory=list)
    redeemers: list[DistinctSet] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    adjusted: list[int] = field(default_factory=list)  # signed


@register
@dataclass(frozen=True)
class Redemption(WindowedKpi[Ledger]):
    """Share of the points issued in the window that were redeemed in it."""

    name = "redemption"
    invalid_rule = "points are invalid when they are not a number or beyond ±1e15"
    title = "Loyalty Redemption Rate"
    indicator = "leading"
    value_unit = "percent"
    roles = (MEMBER, POINTS, TYPE, TIME)
    window_roles = ("time",)
    examples = (
        "cx redemption loyalty.csv --member member --points pts --type kind --time at",
        "cx redemption loyalty.csv --earn-value earn,bonus --redeem-value redeem,burn",
        "cx redemption ledger.parquet --from 2025-01-01 --to 2025-07-01 --period month",
    )

    earn_value: str = option("earn", "type values that issue points (comma-separated)")
    redeem_value: str = option("redeem", "type values that redeem points (comma-separated)")
    expire_value: str = option("expire,expired,expiry", "type values of points that expired")
    adjust_value: str = option(
        "adjust,adjustment,correction", "type values of adjustments (reported apart)"
    )
    signed: bool = field(default=False, metadata={"cli": False})  # no type column: set by bind

    def __post_init__(self) -> None:
        earn, redeem = _values(self.earn_value), _values(self.redeem_value)
        if not earn or not redeem:
            raise UsageError("--earn-value and --redeem-value need at least one value each")
        kinds = [earn, redeem, _values(self.expire_value), _values(self.adjust_value)]
        if sum(len(k) for k in kinds) != len({v for k in kinds for v in k}):
            raise UsageError("a type value can be only one of earn, redeem, expire and adjust")

    def bind(self, roles: Mapping[str, str]) -> Redemption:
        return replace(self, signed="type" not in roles)

    @property
    def definition(self) -> str:
        return "redemption.signed_points" if self.signed else "redemption.points"

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..times import parse_times
        from ..values import MISSING_SPELLINGS, Parsed, parse_amounts, parse_ids

        parsed = {
            "member": parse_ids(columns["member"]),
            "points": parse_amounts(columns["points"]),
            "time": parse_times(columns["time"], times, "time"),
        }
        if "type" in columns:
            text = pc.utf8_lower(pc.utf8_trim_whitespace(columns["type"].cast(pa.string())))
            missing = pc.or_kleene(
                text.is_null(), pc.is_in(text, value_set=pa.array(MISSING_SPELLINGS))
            ).fill_null(True)
            missing = np.asarray(missing)
            kind = np.zeros(len(missing), dtype=np.int64)
            for code, values in (
                (EARN, self.earn_value),
                (REDEEM, self.redeem_value),
                (EXPIRE, self.expire_value),
                (ADJUST, self.adjust_value),
            ):
                found = pc.is_in(text, value_set=pa.array(_values(values), pa.string()))
                kind = np.where(np.asarray(found.fill_null(False)), code, kind)
            parsed["type"] = Parsed(kind, missing, ~missing & (kind == 0))
        return parsed

    def init(self) -> Ledger:
        n = len(self.windows)
        return Ledger(
            [0] * n,
            [0] * n,
            [DistinctSet() for _ in range(n)],
            [DistinctSet() for _ in range(n)],
            [0] * n,
            [0] * n,
        )

    def update(self, state: Ledger, values: Mapping[str, np.ndarray]) -> Ledger:
        import numpy as np
        import pyarrow as pa

        points, times = values["points"], values["time"]
        size = np.abs(points)
        if "type" in values:
            kind = values["type"]
            earned, redeemed = kind == EARN, kind == REDEEM
            expired, adjusted = kind == EXPIRE, kind == ADJUST
        else:
            earned, redeemed = points > 0, points < 0
            expired = adjusted = np.zeros(len(points), dtype=bool)
        members = values["member"]
        for i, window in enumerate(self.windows):
            inside = (times >= window.start) & (times < window.end)
            if not inside.any():
                continue
            state.issued[i] += micros(size[inside & earned])
            state.redeemed[i] += micros(size[inside & redeemed])
            state.expired[i] += micros(size[inside & expired])
            state.adjusted[i] += micros(points[inside & adjusted])
            state.earners[i].add(pa.array(members[inside & earned], pa.string()))
            state.redeemers[i].add(pa.array(members[inside & redeemed], pa.string()))
        return state

    def merge(self, a: Ledger, b: Ledger) -> Ledger:
        def add(x: list[int], y: list[int]) -> list[int]:
            return [p + q for p, q in zip(x, y, strict=True)]

        return Ledger(
            add(a.issued, b.issued),
            add(a.redeemed, b.redeemed),
            [x.union(y) for x, y in zip(a.earners, b.earners, strict=True)],
            [x.union(y) for x, y in zip(a.redeemers, b.redeemers, strict=True)],
            add(a.expired, b.expired),
            add(a.adjusted, b.adjusted),
        )

    def view(self, state: Ledger, index: int) -> dict[str, Any]:
        return {
            "issued": state.issued[index] / MICRO,
            "redeemed": state.redeemed[index] / MICRO,
            "earners": state.earners[index].count(),
            "redeemers": state.redeemers[index].count(),
            "expired": state.expired[index] / MICRO,
            "adjusted": state.adjusted[index] / MICRO,
        }

    def finalize(self, state: dict[str, Any], confidence: float = 0.95) -> Estimate:
        issued, earners, redeemers = state["issued"], state["earners"], state["redeemers"]
        details: dict[str, Any] = {
            "points_issued": issued,
            "points_redeemed": state["redeemed"],
            "members_earning": earners,
            "members_redeeming": redeemers,
            "member_rate": 100 * redeemers / earners if earners else None,
            "member_rate_ci": None,
            "points_expired": state["expired"],
            "points_adjusted": state["adjusted"],
            "settled_rate": (
                100 * (state["redeemed"] + state["expired"]) / issued if issued else None
            ),
        }
        if earners and redeemers <= earners:
            details["member_rate_ci"] = list(wilson(redeemers, earners, confidence))
        if not issued:
            return Estimate(None, 0, None, details, ("no points were issued in the window",))
        return Estimate(100 * state["redeemed"] / issued, earners, None, details)

    def from_result(self, result: Mapping[str, Any]) -> dict[str, Any] | None:
        details = result.get("details") or {}
        earners, redeemers = details.get("members_earning"), details.get("members_redeeming")
        if not isinstance(earners, int) or not isinstance(redeemers, int):
            return None
        return {"earners": earners, "redeemers": redeemers}

    def compare(
        self, before: dict[str, Any], after: dict[str, Any], confidence: float
    ) -> Test | None:
        if before["redeemers"] > before["earners"] or after["redeemers"] > after["earners"]:
            return None
        return two_proportion_test(
            before["redeemers"], before["earners"], after["redeemers"], after["earners"], confidence
        )
