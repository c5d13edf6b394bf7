"""The one way from a KPI, its inputs and its options to its result: the `cx <kpi>` commands
and the Python API (`cxcli.api`) both call `compute`, so they give the same numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .definition import Kpi, option_fields

if TYPE_CHECKING:
    from .result import Report
    from .source import Input


def compute(
    kpi_cls: type[Kpi],
    inputs: Any,
    options: Mapping[str, Any],
    notice: Callable[[str], None] = lambda message: None,
    progress: Callable[[Input, int], None] | None = None,
) -> Report:
    """From a KPI, its inputs and its options (keyed by their long names: `from`,
    `time`, `min_n`, a role's name) to its result: the command and the Python API both call
    it. `inputs`: a list of paths or data, or for a KPI with several inputs a dict of them."""
    from .engine import run
    from .planning import Baseline, make_query
    from .result import Gate

    kpi = kpi_cls(**{f.name: options[f.name] for f in option_fields(kpi_cls) if f.name in options})
    roles = {role.name: options.get(role.name) for role in kpi_cls.roles}
    baseline = options.get("baseline")
    if isinstance(baseline, int | float) and not isinstance(baseline, bool):
        baseline = Baseline(float(baseline), "number")
    rows = {k: v for k, v in options.items() if k not in roles}  # a role named `time` is mau's
    query = make_query(rows, roles, baseline)
    gate = Gate(
        options.get("min"),
        options.get("max"),
        str(options.get("gate_on") or "value"),
        bool(options.get("gate_groups")),
    )
    report = run(kpi, inputs, query, notice=notice, progress=progress)
    if options.get("emit_state"):
        from .states import write_state

        write_state(report, options["emit_state"])
        notice(f"wrote the partial state to {options['emit_state']}")
    files = report.kpi.side_files(report.accumulator.state, report.overall.estimate.details)
    if files:
        from .output import write_atomic

        for path, (content, what) in files.items():
            write_atomic(path, content)
            notice(f"wrote {what} to {path}")
    if gate.active:
        report.gate = gate.check(report.overall, report.groups)
    return report
