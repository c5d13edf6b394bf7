"""Monthly Active Users (MAU), with the average daily actives and stickiness.

MAU = distinct users with an event in the window [from, to) (by default the last complete
calendar month before the latest event); `dau_avg` = the mean over every calendar day (UTC) of
the window of that day's distinct users, days with no events counting 0; `stickiness` =
dau_avg / mau. `--period week|day|month` gives WAU / DAU / MAU series. Exact by default: memory
follows the distinct (user, day) pairs of the window, not the events; `--approx` keeps one
HyperLogLog sketch per day instead (Apache DataSketches, lg_k 12: about 1.6% standard error,
constant memory) and reports its bounds (± 2 standard errors, about 95%) as the interval.

>>> from cxcli.windows import explicit_window
>>> kpi = Mau().with_windows([explicit_window("2025-03-01", "2025-03-03")])
>>> est = kpi.compute({"user": ["a", "a", "b", "a", "c"],
...                    "time": ["2025-03-01T01:00", "2025-03-01T02:00", "2025-03-01",
...                             "2025-03-02", "2025-03-03"]})
>>> est.value, est.details["dau_avg"], est.details["stickiness"]
(2.0, 1.5, 0.75)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Role, WindowedKpi, option
from ..distinct import DistinctSet
from ..errors import UsageError
from ..periods import US_PER_DAY
from ..registry import register

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

HLL_LG_K = 12

USER = Role(
    "user",
    "user_id",
    (
        *("user", "uid", "member_id", "customer_id", "account_id", "visitor_id", "device_id"),
        "distinct_id",
    ),
    "user ids",
)
TIME = Role(
    "time",
    "timestamp",
    ("time", "event_time", "ts", "event_timestamp", "occurred_at", "created_at", "date"),
    "event times",
    kind="time",
)


@dataclass
class Activity:
    """Users seen per day of the window: exact sets, or HLL sketches with --approx."""

    days: dict[int, Any] = field(default_factory=dict)
    views: dict[int, dict[str, Any]] | None = None  # by window: a prepared shard's (Dask)


@register
@dataclass(frozen=True)
class Mau(WindowedKpi[Activity]):
    """Distinct active users in the window, with daily average and stickiness."""

    name = "mau"
    title = "Monthly Active Users"
    indicator = "leading"
    value_unit = "count"
    decimals = 0
    roles = (USER, TIME)
    window_roles = ("time",)
    examples = (
        "cx mau events.parquet --user uid --time ts --from 2025-03-01 --to 2025-04-01",
        "cx mau events.csv --from 2025-01-01 --to 2025-07-01 --period month --by platform",
        "cx mau 'events/*.parquet' --approx --period week",
    )

    approx: bool = option(False, "count with HyperLogLog sketches (constant memory)")

    @property
    def definition(self) -> str:
        return "mau.hll" if self.approx else "mau.distinct"

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        from ..times import parse_times
        from ..values import parse_ids

        return {
            "user": parse_ids(columns["user"], arrow=True),
            "time": parse_times(columns["time"], times, "time"),
        }

    def init(self) -> Activity:
        return Activity()

    def update(self, state: Activity, values: Mapping[str, np.ndarray]) -> Activity:
        import numpy as np
        import pyarrow.compute as pc

        from ..values import arrow_of

        window = self.windows[0]
        times = values["time"]
        inside = (times >= window.start) & (times < window.end)
        if not inside.any():
            return state
        day = (times[inside] - window.start) // US_PER_DAY
        order = np.argsort(day, kind="stable")
        day, users = day[order], values["user"].take(arrow_of(np.flatnonzero(inside)[order]))
        cuts = np.flatnonzero(np.diff(day)) + 1
        for start, stop in zip(np.r_[0, cuts], np.r_[cuts, day.size], strict=True):
            key = int(day[start])
            chunk = pc.unique(users.slice(start, stop - start))
            if self.approx:
                sketch = state.days.get(key)
                if sketch is None:
                    from ..sketches import hll

                    sketch = state.days[key] = hll(HLL_LG_K)
                for user in chunk.to_pylist():
                    sketch.update(user)
            else:
                state.days.setdefault(key, DistinctSet()).add(chunk)
        return state

    def merge(self, a: Activity, b: Activity) -> Activity:
        if not a.days and a.views is None:  # the empty state: b as it is (its views kept)
            return b
        if not b.days and b.views is None:
            return a
        if (a.views is not None and not a.days) or (b.views is not None and not b.days):
            raise UsageError(
                "exact MAU states prepared for finalising on Dask cannot merge again (--by "
                "values of mixed types across files?)",
                hint="use the local engine or --jobs, or --approx",
            )
        days = dict(a.days)
        for key, other in b.days.items():
            mine = days.get(key)
            days[key] = other if mine is None else self._union([mine, other])
        return Activity(days)

    @property
    def shardable(self) -> bool:
        return not self.approx  # sketches merge in constant size: nothing to shard

    def shard(self, state: Activity, shards: int) -> list[Activity]:
        if self.approx:
            return super().shard(state, shards)
        out = [Activity() for _ in range(shards)]
        for day, users in state.days.items():
            for part, piece in zip(out, users.split(shards), strict=True):
                if piece.size:
                    part.days[day] = piece
        return out

    def prepare(self, state: Activity, keep: bool = True) -> Activity:
        if self.approx:
            return state
        views = {i: self.view(state, i) for i in range(len(self.windows))}
        return Activity(state.days if keep else {}, views)

    def join(self, shards: Sequence[Activity]) -> Activity:
        """Shards share no user: their days are concatenated and their views added."""
        if self.approx:
            return super().join(shards)
        days: dict[int, list[DistinctSet]] = {}
        for part in shards:
            for day, users in part.days.items():
                days.setdefault(day, []).append(users)
        views = None
        if all(part.views is not None for part in shards):
            views = {}
            for index in range(len(self.windows)):
                parts = [part.views[index] for part in shards]  # type: ignore[index]
                views[index] = {
                    "mau": sum(v["mau"] for v in parts),
                    "bounds": None,
                    "dau_sum": sum(v["dau_sum"] for v in parts),
                    "days": parts[0]["days"],
                }
        if views is not None and not days:  # drained shards: only what finalize reads
            return Activity({}, views)
        return Activity({d: DistinctSet.joined(p) for d, p in sorted(days.items())}, views)

    def _union(self, parts: list[Any]) -> Any:
        if not self.approx:
            return parts[0].union(*parts[1:]) if parts else DistinctSet()
        from datasketches import hll_union

        union = hll_union(HLL_LG_K)
        for part in parts:
            union.update(part)
        return union.get_result()

    def view(self, state: Activity, index: int) -> dict[str, Any]:
        if state.views is not None:
            return state.views[index]
        window, start = self.windows[index], self.windows[0].start
        first = (window.start - start) // US_PER_DAY
        last = -(-(window.end - start) // US_PER_DAY)  # the day the window ends in, if partial
        days = [state.days[d] for d in range(first, last) if d in state.days]
        if self.approx:
            union = self._union(days)
            daily = [sketch.get_estimate() for sketch in days]
            return {
                "mau": union.get_estimate(),
                "bounds": (union.get_lower_bound(2), union.get_upper_bound(2)),
                "dau_sum": sum(daily),
                "days": last - first,
            }
        return {
            "mau": self._union(days).count(),
            "bounds": None,
            "dau_sum": sum(day.count() for day in days),
            "days": last - first,
        }

    def finalize(self, state: dict[str, Any], confidence: float = 0.95) -> Estimate:
        mau, days = state["mau"], state["days"]
        dau_avg = state["dau_sum"] / days if days else None
        details: dict[str, Any] = {
            "mau": mau,
            "dau_avg": dau_avg,
            "stickiness": dau_avg / mau if mau else None,
            "days": days,
        }
        if state["bounds"] is not None:
            details["mau_bounds"] = list(state["bounds"])  # ± 2 standard errors (~95%)
        if not mau:
            return Estimate(None, 0, None, details, ("no events in the window",))
        ci = tuple(state["bounds"]) if state["bounds"] is not None else None
        return Estimate(float(mau), round(mau), ci, details)
