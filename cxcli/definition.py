"""The KPI contract: column roles, options, and a mergeable partial state.

A KPI is written once, as a subclass of `Kpi`: `parse` turns its role columns into values with
missing / invalid masks, and `init` / `update` / `merge` / `finalize` fold valid values into a
small state and out again. The engine, every output format, `cx report` and the tests all go
through these methods, so each formula exists exactly once.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:  # numpy and pyarrow load on first use, so `cx --help` starts fast
    import numpy as np
    import pyarrow as pa

    from .planning import Query
    from .stats import Test
    from .times import TimeSettings
    from .values import Parsed
    from .windows import Window

S = TypeVar("S")
ROW_KEY = "__row__"  # the values entry of each used row's key, for a `row_keyed` KPI


@dataclass(frozen=True)
class Role:
    """A logical input column: `--score LTR` names it, otherwise `default` or an alias is found
    (or, for a survey question, its `wording`: a regular expression on the question text).

    `kind` says how its values are read: "time" columns get a time format decided from a
    sample, "duration" columns a unit and a clock reading (`clock`: how two-field text such as
    `02:51` reads when nothing else says: "mm:ss", or "" for no reading), "score" columns a
    label set, and "columns" roles several columns: the user's comma-separated names or
    globs (`price,support`, `'Q5_*'`), keyed `name[0]`, `name[1]` … (`role_columns`).
    `former` lists earlier names of its option, still accepted. `sibling`: a column named
    like this role's column plus `sibling` marks it (Qualtrics' `Q5_NPS_GROUP` marks `Q5` as
    the NPS question). `meanings` says what a column named by an alias means, for the error
    when two mean different things (`Canceled At` vs `Ended At`)."""

    name: str
    default: str
    aliases: tuple[str, ...] = ()
    help: str = ""
    required: bool = True
    kind: str = "value"
    wording: str | None = None
    clock: str = ""
    former: tuple[str, ...] = ()
    sibling: str | None = None
    meanings: tuple[tuple[str, str], ...] = ()  # alias -> what a column of that name means

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


def role_columns(role: Role, roles: Mapping[str, str]) -> str | list[str] | None:
    """The column a role reads in a role → column mapping, or a "columns" role's list."""
    if role.kind != "columns":
        return roles.get(role.name)
    found = [c for key, c in roles.items() if key.startswith(f"{role.name}[")]
    return found or None


def option(
    default: Any,
    help: str,
    *,
    choices: Sequence[str] | None = None,
    flags: Sequence[str] = (),
) -> Any:
    """A KPI option: a dataclass field that becomes `--name` (and any other `flags`) on the
    command line."""
    return field(default=default, metadata={"help": help, "choices": choices, "flags": flags})


@dataclass(frozen=True)
class Estimate:
    """What `finalize` returns: the headline value with its interval and the details."""

    value: float | None
    n: int
    ci: tuple[float, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kpi(ABC, Generic[S]):
    """One KPI definition. Subclasses are frozen dataclasses whose fields are the options."""

    name: ClassVar[str]
    title: ClassVar[str]
    roles: ClassVar[tuple[Role, ...]]
    value_unit: ClassVar[str] = "score"  # "score", "percent", "seconds" …: how values show
    decimals: ClassVar[int] = 1  # decimals shown in tables (JSON keeps full precision)
    time_aliases: ClassVar[tuple[str, ...]] = ("timestamp", "date", "time", "created_at")
    time_role: ClassVar[str | None] = None  # a role whose column is the default --time
    windowed: ClassVar[bool] = False  # measured over --from/--to windows (see WindowedKpi)
    inputs: ClassVar[dict[str, tuple[str, ...]]] = {}  # named inputs and their roles, if several
    segment_role: ClassVar[str | None] = None  # a role that splits results, as --by would
    indicator: ClassVar[str] = "lagging"  # "leading" (moves first) or "lagging" (outcome)
    examples: ClassVar[tuple[str, ...]] = ()
    invalid_rule: ClassVar[str | None] = None  # the range rule a note gives when rows are invalid
    # update gets each used row's key (ROW_KEY: its file and row number, bootstrap.row_keys),
    # so a CSV file is read in one stream, whose row numbers are known as it goes
    row_keyed: ClassVar[bool] = False

    @property
    @abstractmethod
    def definition(self) -> str:
        """Names the formula variant in use, e.g. `nps.standard` or `csat.top2box`."""

    @property
    def higher_is_better(self) -> bool:
        return True

    @property
    def value_range(self) -> tuple[float | None, float | None]:
        """The values the KPI can take (None: no bound); a trend is projected within them."""
        if self.value_unit == "percent":
            return 0.0, 100.0
        if self.value_unit in ("seconds", "count"):
            return 0.0, None
        return None, None

    def index_score(self, value: float) -> float | None:
        """The value on a 0–100 scale where 100 is best, for the CX index; None when the KPI
        has no natural scale (the report config then gives one). Percentages are their own."""
        if self.value_unit != "percent":
            return None
        return value if self.higher_is_better else 100 - value

    @property
    def index_method(self) -> str:
        """How `index_score` maps the value, as the report shows it."""
        return "the percentage" if self.higher_is_better else "100 − the percentage"

    def select_roles(self, named: dict[str, str], found: dict[str, str]) -> dict[str, str]:
        """The role → column mapping to use, from the roles the user named and those found by
        alias. By default every role; KPIs with alternative inputs choose here."""
        return {**found, **named}

    def check(self) -> None:
        """Raise UsageError when the options cannot work together (before any data is read)."""

    def adopt(self, query: Query) -> tuple[Kpi[S], Query]:
        """This KPI and the run's query, for a KPI that takes a query option as its own
        (`cx clv --model bgnbd --until D --holdout E` reads to E and splits at D itself)."""
        return self, query

    def side_files(self, state: S, details: Mapping[str, Any]) -> dict[str, tuple[bytes, str]]:
        """Files an option asks for beside the result (`cx clv --per-customer FILE`), from the
        run's whole state and its details: path → (content, what it holds, for the notice)."""
        return {}

    def option_columns(self) -> dict[str, tuple[str, str]]:
        """Columns an option names (`cx themes --segment "Region = 'EMEA'"` reads Region), as
        key → (column, option): found in the header as a role's are, and given to `parse`
        under the key."""
        return {}

    def bind(self, roles: Mapping[str, str]) -> Kpi[S]:
        """This KPI for the roles chosen (a KPI whose formula depends on them returns a copy)."""
        return self

    def fit(
        self,
        samples: Mapping[str, pa.Array],
        columns: Mapping[str, str],
        notice: Callable[[str], None],
        source: str = "",
    ) -> Kpi[S]:
        """This KPI for what a sample of its role columns shows (by role; `columns` names them):
        a KPI that reads labels or units from the data returns a copy that reads them."""
        return self

    def spread(self, state: S) -> list[tuple[float, float]] | None:
        """How the values spread, as (value, share at or below it) points for the report's
        picture; None for a KPI that has no such picture. `state` is the run's whole state (a
        windowed KPI would take its `view` itself: nothing is computed for those without)."""
        return None

    def view(self, state: S, index: int) -> Any:
        """What `finalize` and `compare` read: the state itself, or for a windowed KPI its
        summary over window `index` (0 the whole window, then the periods of a series)."""
        return state

    def params(self) -> dict[str, Any]:
        """The options in force, as they appear in JSON `params`."""
        return {f.name: getattr(self, f.name) for f in option_fields(self)}

    @abstractmethod
    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        """Parse each role column present (keyed by role name) into values and missing/invalid
        masks; `times` says how each time column's text is read (`times.format_of(role)`)."""

    def row_status(self, parsed: Mapping[str, Parsed]) -> tuple[np.ndarray, np.ndarray]:
        """(missing, invalid) per row; by default a row is invalid if any role is, else missing
        if any role is missing."""
        from functools import reduce

        import numpy as np

        # reduce pairwise: np.logical_or.reduce over a list stacks the masks into a copy first
        invalid = reduce(np.logical_or, [p.invalid for p in parsed.values()])
        missing = reduce(np.logical_or, [p.missing for p in parsed.values()]) & ~invalid
        return missing, invalid

    @abstractmethod
    def init(self) -> S:
        """The empty state: the identity of `merge`."""

    @abstractmethod
    def update(self, state: S, values: Mapping[str, np.ndarray]) -> S:
        """Fold the values of used rows (one array per role) into a new state."""

    def update_groups(
        self, values: Mapping[str, np.ndarray], group_ids: np.ndarray, n_groups: int
    ) -> list[S]:
        """One state per group id in [0, n_groups); override with a vectorised version."""
        import numpy as np

        from .values import rows_of

        order = np.argsort(group_ids, kind="stable")
        bounds = np.searchsorted(group_ids[order], np.arange(n_groups + 1))
        states = []
        for g in range(n_groups):
            rows = order[bounds[g] : bounds[g + 1]]
            part = {k: rows_of(v, rows) for k, v in values.items()}
            states.append(self.update(self.init(), part))
        return states

    @abstractmethod
    def merge(self, a: S, b: S) -> S:
        """Combine two partial states; associative and commutative."""

    @abstractmethod
    def finalize(self, state: S, confidence: float = 0.95) -> Estimate:
        """The headline value, n, interval and details of a state."""

    # --- a split of the rows by the KPI itself (sentiment by the answer's NPS category) ---
    @property
    def category_key(self) -> str | None:
        """The key name of groups the KPI makes from its own values (None: no such groups)."""
        return None

    def row_categories(self, parsed: Mapping[str, Parsed]) -> tuple[np.ndarray, tuple[str, ...]]:
        """Each row's category code (-1 for none) and the categories' names, worst first."""
        raise NotImplementedError

    # --- shards (the Dask engine): states cut by a hash of an id, merged apart, joined ---
    @property
    def shardable(self) -> bool:
        """Whether `shard` cuts a state by id, so that shards share no id and `join` is a
        concatenation (exact distinct counts); otherwise the whole state is one shard."""
        return False

    def shard(self, state: S, shards: int) -> list[S]:
        """The state as `shards` states that merge back into it."""
        return [state, *(self.init() for _ in range(shards - 1))]

    def prepare(self, state: S, keep: bool = True) -> S:
        """A merged shard made ready to join (on its worker): views computed there. Unless
        `keep` (the state is written with --emit-state), only what finalize reads need stay."""
        return state

    def join(self, shards: Sequence[S]) -> S:
        """The shards of one state (from `shard`, each merged and prepared) as one state."""
        out = shards[0]
        for part in shards[1:]:
            out = self.merge(out, part)
        return out

    def compare(self, before: S, after: S, confidence: float) -> Test | None:
        """The test of the change from `before` to `after` (two-sided p-value, minimum
        detectable effect at `confidence`), or None where no test is defined."""
        return None

    def settle(self, state: S) -> Kpi[S]:
        """This KPI for what the whole run's data showed (`state`: all rows after the
        filters), before any result is finalized: ART fixes its --as-of default here."""
        return self

    def from_result(self, result: Mapping[str, Any]) -> Any:
        """What `compare` takes, rebuilt from a result of a previous JSON report (its `n` and
        `details`), or None when the details do not carry enough for the test."""
        return None

    def compute(
        self, columns: Mapping[str, pa.Array | Sequence[Any]], confidence: float = 0.95
    ) -> Estimate:
        """Parse, update and finalize in one go: the whole pipeline for in-memory columns (read
        the way the engine reads them: formats decided from the columns themselves)."""
        from .readings import fit

        arrays = {k: _as_array(v) for k, v in columns.items()}
        kpi, times = fit(self.bind({k: k for k in columns}), arrays, {k: k for k in arrays})
        parsed = kpi.parse(arrays, times)
        missing, invalid = kpi.row_status(parsed)
        used = ~(missing | invalid)
        from .values import rows_of

        values = {k: rows_of(p.values, used) for k, p in parsed.items()}
        if kpi.row_keyed:
            import numpy as np

            from .bootstrap import row_keys

            values[ROW_KEY] = row_keys("", np.flatnonzero(used))
        state = kpi.update(kpi.init(), values)
        kpi = kpi.settle(state)
        return kpi.finalize(kpi.view(state, 0), confidence)


class NetShares:
    """A mixin for KPIs that are the difference of two shares on −100..100 (NPS: promoters −
    detractors; net sentiment: positive − negative): their range and their CX-index score."""

    net_name: ClassVar[str]

    @property
    def value_range(self) -> tuple[float, float]:
        return -100.0, 100.0

    def index_score(self, value: float) -> float | None:
        return (value + 100) / 2

    @property
    def index_method(self) -> str:
        return f"({self.net_name} + 100) / 2"


def option_fields(kpi: Kpi | type[Kpi]) -> list[dataclasses.Field]:
    """The dataclass fields that are user options (`--name` on the command line)."""
    return [f for f in dataclasses.fields(kpi) if f.metadata.get("cli", True)]


_OPTION_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "None": None}


def option_type(f: dataclasses.Field) -> Any:
    """The type of an option field (`str`, `int | None` …): option fields use only builtin
    types, and their annotations are strings (PEP 563), read here without builtins."""
    return eval(f.type, {"__builtins__": {}}, _OPTION_TYPES) if isinstance(f.type, str) else f.type


def _as_array(values: pa.Array | Sequence[Any]) -> pa.Array:
    """An arrow array from a Python list; mixed types become text, as in a CSV file."""
    import pyarrow as pa

    if isinstance(values, pa.Array):
        return values
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


@dataclass(frozen=True)
class WindowedKpi(Kpi[S]):
    """A KPI measured over a window [from, to): its state keeps what any window needs, and
    `view(state, i)` summarises it for window i of `windows` (set by the engine)."""

    windowed: ClassVar[bool] = True
    window_roles: ClassVar[tuple[str, ...]] = ()  # dates whose latest sets the default window

    windows: tuple[Window, ...] = field(default=(), metadata={"cli": False})

    def with_windows(self, windows: Sequence[Window]) -> WindowedKpi[S]:
        return dataclasses.replace(self, windows=tuple(windows))

    @abstractmethod
    def view(self, state: S, index: int) -> Any:
        """The summary of `state` over window `index`, for finalize and compare."""
