"""The `cx` command: one subcommand per registered KPI, plus `cx kpis`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import MutableMapping
from typing import Annotated, NoReturn

import typer

from .. import version_line

app = typer.Typer(
    name="cx",
    help="Customer-experience KPIs (NPS, CSAT, CES, …) from CSV, JSON Lines, Excel and Parquet "
    "exports.\n\n"
    "Exit codes: 0 ok, 1 internal error (a bug), 2 usage error or bad input, "
    "3 a --min/--max gate or a report target failed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(version_line())
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Customer-experience KPIs from CSV, JSON Lines, Excel and Parquet exports."""


def list_kpis() -> None:
    """List the KPIs, their definitions and the columns they read."""
    from ..registry import all_kpis

    rows = []
    for name, cls in all_kpis().items():
        rows.append((name, cls.title, ", ".join(f"{r.option} ({r.default})" for r in cls.roles)))
    _print_grid(rows)


def list_profiles() -> None:
    """List the export profiles: the tools whose exports cx recognises, and by which columns."""
    from ..profiles import PROFILES

    rows = []
    for p in PROFILES:
        text = f"{p.title} ({p.source})\nsignature: {', '.join(p.signature)}"
        rows.append((p.name, text + (f"\nassumes: {p.assumes}" if p.assumes else "")))
    _print_grid(rows)


def _print_grid(rows: list[tuple[str, ...]]) -> None:
    """Rows as columns at the terminal's width, the last column wrapping."""
    from rich.table import Table
    from rich.text import Text

    from ..render.console import terminal

    grid = Table.grid(padding=(0, 2))
    for _ in rows[0][:-1]:
        grid.add_column(no_wrap=True)
    grid.add_column()
    for row in rows:
        grid.add_row(*map(Text, row))
    terminal(sys.stdout).print(grid)


def _invoked_kpi() -> str | None:
    """The built-in KPI this process runs (`cx nps …`): only its command is then built, as
    importing and building all of them costs ~45 ms of start-up. None for anything else
    (`cx --help`, `cx report`, shell completion, an unknown name)."""
    from ..kpis import BUILTIN

    args = sys.argv[1:]
    if args and args[0] in BUILTIN and "_CX_COMPLETE" not in os.environ:
        return args[0]
    return None


def _register_kpi_commands() -> None:
    from ..registry import all_kpis, builtin_kpi
    from .kpis import examples_epilog, make_command

    only = _invoked_kpi()
    for name, cls in ({only: builtin_kpi(only)} if only else all_kpis()).items():
        app.command(name, epilog=examples_epilog(cls.examples), no_args_is_help=True)(
            make_command(cls)
        )
    if only:
        return
    app.command("kpis")(list_kpis)
    app.command("profiles")(list_profiles)
    from .report import EXAMPLES, init, inspect, report

    app.command("report", epilog=examples_epilog(EXAMPLES["report"]))(report)
    from .merge import EXAMPLES as MERGE_EXAMPLES
    from .merge import merge

    app.command("merge", epilog=examples_epilog(MERGE_EXAMPLES), no_args_is_help=True)(merge)
    for name, command in (("inspect", inspect), ("init", init)):
        app.command(name, epilog=examples_epilog(EXAMPLES[name]), no_args_is_help=True)(command)


_register_kpi_commands()


class _NoPandas:
    """A meta-path finder (duck-typed: importlib.abc costs 40 ms to import) that keeps pandas
    out of a cx process. pyarrow imports pandas, when installed, on its first
    conversion of a Python value (~0.4 s and ~40 MB per run); a failed import is pyarrow's
    designed "pandas not installed" path, and no KPI command needs pandas."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (kept out of cx)", name=name)
        return None


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse; False where there is no glibc `mallopt`.

    By default glibc hands freed blocks over 128 KiB back to the OS (munmap, heap trim), so
    the ~1 MB numpy temporaries of each batch are page-faulted in again, batch after batch.
    Blocks up to 4 MiB come from the heap and up to 16 MiB of its free top is kept: on 10M
    rows ART 2.76 → 2.63 s and 290 → 281 MB, NPS 1.67 → 1.48 s and 173 → 178 MB (interleaved
    medians of 5; keeping 64 MiB was faster still but 55 MB heavier)."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, 4 << 20)) and bool(mallopt(m_trim_threshold, 16 << 20))


def lean_arrow_pool(environ: MutableMapping[str, str] | None = None) -> bool:
    """Arrow's buffers from jemalloc rather than mimalloc, unless ARROW_DEFAULT_MEMORY_POOL says
    otherwise (Arrow reads it when it first allocates; --jobs workers inherit it). Peak RSS on
    10M rows, same speed: NPS 171 → 145 MB, NPS by region and month 235 → 206, ART 305 → 260,
    Parquet 113 → 95 (interleaved medians of 3). Linux only, where pyarrow's wheels and
    conda-forge's builds have jemalloc (elsewhere Arrow would warn that it has none)."""
    environ = os.environ if environ is None else environ
    if sys.platform != "linux" or "ARROW_DEFAULT_MEMORY_POOL" in environ:
        return False
    environ["ARROW_DEFAULT_MEMORY_POOL"] = "jemalloc"
    return True


def block_pandas() -> None:
    """Keep pandas out of this process (unless CX_ALLOW_PANDAS is set): see _NoPandas."""
    if not os.environ.get("CX_ALLOW_PANDAS") and "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())


def main() -> None:
    """Console entry point."""
    block_pandas()
    keep_freed_memory()
    lean_arrow_pool()
    try:
        app()
    except SystemExit as exc:
        leave(exc.code)
    leave(0)


def leave(code: object) -> NoReturn:
    """Flush the output, remove stdin spools, and exit without finalizing the interpreter.

    pyarrow may still be disposing of a finished CSV reader on one of its own threads; when
    the interpreter is being finalized at that moment, the process aborts ("terminate called
    without an active exception", exit 134; apache/arrow#34314) — `cx nps` on a header-only
    file did so about one run in three. Nothing of cx's is left to finalize: files are written
    and closed before this, and the history lock goes with the process."""
    source = sys.modules.get("cxcli.source")  # not imported for --help: no spools to remove
    if source is not None:
        source.remove_spooled()
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message")
        sys.stderr.write(f"{code}\n")
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # the reader went away (`cx … | head`)
            stream.flush()
    os._exit(status)
