"""`cx merge STATE...`: the result of partial states written by separate runs with
--emit-state, as if one run had read all their inputs."""

from __future__ import annotations

from typing import Annotated

import typer

from .kpis import ExitCode, _choose_format, _error, emit, guarded
from .options import format_option

EXAMPLES = (
    "cx nps eu.csv --emit-state eu.state && cx nps us.csv --emit-state us.state",
    "cx merge eu.state us.state --format json",
    "cx merge states/*.state -o nps.html",
)


def merge(
    states: Annotated[
        list[str], typer.Argument(metavar="STATE...", help="State files from --emit-state.")
    ],
    fmt: format_option() = None,  # type: ignore[valid-type]
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="PATH", help="Write the report to PATH."),
    ] = None,
    emit_state: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="Also write the merged state to FILE."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Combine partial states (--emit-state) of one KPI into its result.

    States of different KPIs, definitions, options, columns, grouping, windows, time zones,
    filters or cx versions are refused, and so are states whose inputs overlap: a file read
    by two jobs would count twice.
    """

    def work() -> int:
        from ..states import merge_states, write_state

        def notice(message: str) -> None:
            if not quiet:
                _error(f"cx merge: {message}")

        report = merge_states(states)
        if emit_state:
            write_state(report, emit_state)
        emit(report, _choose_format(fmt, output), output, notice)
        return ExitCode.OK

    guarded("cx merge", debug, work)
