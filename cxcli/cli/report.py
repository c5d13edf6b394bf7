"""`cx report` (a config's KPIs into JSON, Markdown and HTML, with targets and history),
`cx inspect` (what a file holds and which KPIs it feeds) and `cx init` (a starter config)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ExitCode, UsageError
from .kpis import _error, _progress, _stdout_color, guarded
from .options import Adjust, Engine


class ReportFormat(StrEnum):
    """Files `cx report` writes."""

    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


SUFFIXES = {ReportFormat.JSON: "json", ReportFormat.MARKDOWN: "md", ReportFormat.HTML: "html"}
EXAMPLES = {
    "report": (
        "cx report --config cx.toml",
        "cx report -c cx.toml -o reports --name 'cx-{date}' --history reports/history.parquet",
        "cx report -c cx.toml -f markdown -q && cat cx-report/report.md",
    ),
    "inspect": ("cx inspect exports/survey.csv", "cx inspect tickets.parquet --json"),
    "init": ("cx init survey.csv tickets.csv -o cx.toml && cx report -c cx.toml",),
}


def report(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The report config (TOML).", metavar="FILE")
    ] = Path("cx.toml"),
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-o",
            help="Folder for the files (default: the config's).",
            metavar="DIR",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="File name without suffix; {date} is the run date.", metavar="TEXT"),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            help="Parquet file of past runs: trends, 'previous' baselines.", metavar="FILE"
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(help="The run date (default today): keys the history.", metavar="YYYY-MM-DD"),
    ] = None,
    formats: Annotated[
        list[ReportFormat] | None,
        typer.Option("--format", "-f", help="Files to write (repeatable; default all three)."),
    ] = None,
    adjust: Annotated[
        Adjust | None,
        typer.Option(
            help="How the report's change tests are adjusted together (default: the config's "
            "[report] adjust, or bh).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", metavar="N", min=1, help="Worker processes (see cx nps --help)."
        ),
    ] = None,
    engine: Annotated[
        Engine | None,
        typer.Option(help="local or dask (default: the config's, else local).", show_default=False),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="A running Dask scheduler.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Compute every KPI of a config in one scan per input and write the report.

    Exit codes: 0 every target met (or in progress), 2 config or input error, 3 a target
    missed — the reason per KPI on stderr.
    """

    def work() -> int:
        scale = {"jobs": jobs, "engine": None if engine is None else str(engine)}
        scale["scheduler"] = scheduler
        return _report(config, output_dir, name, history, date, formats, quiet, adjust, scale)

    guarded("cx report", debug, work)


def _report(
    config_path, output_dir, name, history_path, date, formats, quiet, adjust, scale
) -> int:
    from ..output import recover, remove_stale, write_files
    from ..reporting.config import load_config
    from ..reporting.history import History, locked
    from ..reporting.run import history_rows, run_report
    from ..reporting.summary import failure_reasons, render_summary

    def notice(message: str) -> None:
        if not quiet:
            _error(f"cx report: {message}")

    run_date = _run_date(date)
    config = load_config(config_path)
    config.scaled(**scale)
    for entry in config.entries:
        entry.job.notice = lambda message, e=entry: notice(f"{e.label}: {message}")
    for name in config.unused_inputs:
        notice(f"[inputs] {name} is not read by any [[kpi]]")
    folder = output_dir or config.output_dir or Path("cx-report")
    stem = report_name(name or config.name, run_date)
    history_file = history_path or config.history
    chosen = list(dict.fromkeys(formats or list(ReportFormat)))
    paths = {fmt: folder / f"{stem}.{SUFFIXES[fmt]}" for fmt in chosen}
    if history_file is not None:
        check_history_path(history_file, list(paths.values()))
    with locked([folder / stem, *([history_file] if history_file else [])]):
        journal = folder / f".{stem}.journal"
        recover(journal)  # a run killed among its renames: finish them first
        remove_stale(folder, [p.name for p in paths.values()])
        if history_file is not None:
            remove_stale(history_file.parent, [history_file.name])
        past = History(history_file) if history_file else None
        with _progress(quiet) as progress:
            method = None if adjust is None else str(adjust)
            combined = run_report(config, run_date, past, progress, adjust=method)
        files = {paths[fmt]: _renderer(fmt, combined) for fmt in chosen}
        folder.mkdir(parents=True, exist_ok=True)
        write_files(files, journal=journal)
        if past is not None:
            past.record(run_date, history_rows(combined))
    render_summary(combined, sys.stdout, color=_stdout_color())
    sys.stdout.flush()
    for path in paths.values():
        notice(f"wrote {path}")
    if past is not None:
        notice(f"recorded {len(combined.outcomes)} KPIs for {run_date} in {history_file}")
    reasons = failure_reasons(combined)
    for reason in reasons:
        _error(f"cx report: {reason}")
    if combined.broken:  # a KPI whose data gave no number: a data error, the rest reported
        return ExitCode.BAD_INPUT
    return ExitCode.GATE_FAILED if reasons else ExitCode.OK


def report_name(template: str, run_date: dt.date) -> str:
    """The report's file stem from its template: `{date}` (the run date) is the one field, and
    the result is a plain file name, inside the output folder."""
    import string

    try:
        fields = [
            (field, spec, conversion)
            for _, field, spec, conversion in string.Formatter().parse(template)
            if field is not None
        ]
    except ValueError as exc:
        raise UsageError(f"--name {template!r}: {exc}") from None
    if any(f != ("date", "", None) for f in fields):
        raise UsageError(
            f"--name {template!r}: only {{date}} may appear in braces (no format or attribute)"
        )
    stem = template.format(date=run_date.isoformat())
    if stem in ("", ".", "..") or any(c in stem for c in "/\\") or not stem.isprintable():
        raise UsageError(
            f"--name {template!r}: the name must be a file name (no folders, no control "
            "characters): the report stays in its output folder"
        )
    return stem


def check_history_path(path: Path, outputs: list[Path]) -> None:
    """A history is a .parquet file of its own, never one of the report's files."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        raise UsageError(f"--history {path}: give a .parquet file (the history is Parquet)")
    if any(path.resolve() == out.resolve() for out in outputs):
        raise UsageError(f"--history {path} is one of the report's own files")


def _renderer(fmt: ReportFormat, combined):
    if fmt is ReportFormat.JSON:
        from ..render.json import dumps

        return dumps(combined.to_dict()) + "\n"
    if fmt is ReportFormat.MARKDOWN:
        from ..reporting.markdown import render_report_markdown

        return render_report_markdown(combined)
    from ..reporting.html import render_report_html

    return render_report_html(combined)


def _run_date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r} is not a date like 2026-06-30") from None


FILES_HELP = "CSV, JSON Lines, Excel or Parquet files."


def inspect(
    files: Annotated[list[str], typer.Argument(metavar="FILE...", help=FILES_HELP)],
    rows: Annotated[int, typer.Option(help="Rows to sample for types and examples.")] = 10_000,
    sheet: Annotated[
        str | None, typer.Option(metavar="NAME|N", help="Sheet of a workbook (default: the first).")
    ] = None,
    header_rows: Annotated[
        int | None,
        typer.Option(metavar="N", help="Rows the header takes (default: found from the layout)."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Show a file's columns, the KPI roles they match, and the KPIs it can feed.

    For each column: its type, missing values, a few values and the roles whose aliases it
    matches; then the command line of every KPI the file can feed.
    """

    def work() -> int:
        from ..inspection import inspect_file
        from ..source import ReadSettings

        settings = ReadSettings(sheet=sheet, header_rows=header_rows)
        infos = [inspect_file(spec, rows, settings) for spec in files]
        if json_out:
            from ..render.json import dumps

            sys.stdout.write(dumps([i.to_dict() for i in infos]) + "\n")
        else:
            _print_inspection(infos)
        return ExitCode.OK

    guarded("cx inspect", debug, work)


def _print_inspection(infos) -> None:
    from rich.table import Table

    from ..escape import plain
    from ..render.console import terminal
    from ..render.table import clean

    console = terminal(sys.stdout, color=_stdout_color())
    for info in infos:
        layout = f", {info.layout}" if info.layout else ""
        table = Table(
            title=clean(f"{info.path} ({info.format}{layout}, {info.rows_sampled:,} rows sampled)"),
            title_justify="left",
        )
        for column in ("column", "type", "missing", "examples", "matches"):
            table.add_column(column)
        for c in info.columns:
            name = clean(c.name)
            if c.label:
                short = c.label if len(c.label) <= 50 else c.label[:49] + "…"
                question = clean("\n" + short)
                question.stylize("dim")
                name.append_text(question)
            table.add_row(
                name, c.type, f"{c.missing:,}", clean(", ".join(c.examples)), ", ".join(c.roles)
            )
        console.print(table)
        if info.profile:
            console.print(f"Export profile: {info.profile}", highlight=False, markup=False)
        if info.usable:
            console.print("KPIs this file can feed:")
            for use in info.usable:
                console.print(plain(f"  {use.command}"), highlight=False, markup=False)
                if use.why:
                    console.print(
                        plain(f"    {use.why}"), highlight=False, markup=False, style="dim"
                    )
        if info.unusable:
            console.print("Not proposed:", highlight=False)
            for kpi, why in sorted(info.unusable.items()):
                console.print(plain(f"  {kpi}: {why}"), highlight=False, markup=False)
        console.print()


def init(
    files: Annotated[list[str], typer.Argument(metavar="FILE...", help=FILES_HELP)],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the config.", metavar="FILE")
    ] = Path("cx.toml"),
    force: Annotated[bool, typer.Option(help="Replace an existing config.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Write a starter cx.toml for every KPI the files can feed.

    The same column detection as cx inspect; run the result with cx report.
    """

    def work() -> int:
        from ..inspection import starter_config
        from ..output import write_atomic

        if output.exists() and not force:
            raise UsageError(f"{output} exists; use --force to replace it")
        text = starter_config(files, output.parent if str(output.parent) else Path(os.curdir))
        write_atomic(output, text)
        _error(f"cx init: wrote {output}; run: cx report --config {output}")
        return ExitCode.OK

    guarded("cx init", debug, work)
