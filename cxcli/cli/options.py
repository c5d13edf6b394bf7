"""Options every KPI command shares, as typed parameters for the command factory."""

from __future__ import annotations

import inspect
from enum import StrEnum
from typing import Annotated, Any

import typer

from ..periods import Period
from ..render import Format

ROWS = "Rows and groups"
OUTPUT = "Output and gates"
COLUMNS = "Columns"
OPTIONS = "KPI options"
SCALE = "Scale-out"


class GateOn(StrEnum):
    """What a --min / --max gate compares."""

    VALUE = "value"
    INTERVAL = "interval"


class Engine(StrEnum):
    """Where the fragments of a run are read."""

    LOCAL = "local"
    DASK = "dask"


class Adjust(StrEnum):
    """How the change tests of a run are adjusted for multiplicity."""

    BH = "bh"
    HOLM = "holm"
    NONE = "none"


def format_option(panel: str | None = None) -> Any:
    """--format/-f, as every command that prints a KPI's result takes it."""
    return Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            envvar="CX_FORMAT",
            help="Output format (default: table on a terminal, json otherwise, or from "
            "--output's suffix).",
            show_default=False,
            rich_help_panel=panel,
        ),
    ]


def _param(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


WINDOW_ONLY = ("window_from", "window_to")
ROWS_ONLY = ("time_column", "since", "until")


def common_parameters(windowed: bool = False) -> list[inspect.Parameter]:
    """Rows, grouping, output and gate options, in the order --help lists them. A windowed
    KPI takes --from/--to instead of --time/--since/--until."""
    skip = ROWS_ONLY if windowed else WINDOW_ONLY
    return [p for p in _all_common() if p.name not in skip]


def _all_common() -> list[inspect.Parameter]:
    opt = typer.Option
    return [
        _param(
            "by",
            Annotated[
                list[str] | None,
                opt(
                    "--by",
                    metavar="COL",
                    help="One result per value of COL (repeatable).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "period",
            Annotated[
                Period | None,
                opt(
                    help="One result per calendar period (ISO weeks); for a windowed KPI, "
                    "the window split into periods.",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "window_from",
            Annotated[
                str | None,
                opt(
                    "--from",
                    metavar="DATE",
                    help="Start of the window [from, to) (default: the last complete calendar "
                    "month before the latest date in the data).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "window_to",
            Annotated[
                str | None,
                opt(
                    "--to",
                    metavar="DATE",
                    help="End of the window (excluded).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "time_column",
            Annotated[
                str | None,
                opt(
                    "--time",
                    metavar="COL",
                    help="Time column for --period/--since/--until (default: found by name).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "time_format",
            Annotated[
                str | None,
                opt(
                    metavar="FMT",
                    help="strptime format of the times, e.g. '%d/%m/%Y %H:%M', or %s for "
                    "epoch numbers (default: found per column: ISO 8601, month/day/year or "
                    "day/month/year when a day above 12 tells, RFC 2822, epoch s/ms/µs).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "since",
            Annotated[
                str | None,
                opt(
                    metavar="DATE",
                    help="Keep rows at or after DATE (2025-01-31, -30d, -12w, -6m, -1y).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "until",
            Annotated[
                str | None,
                opt(metavar="DATE", help="Keep rows before DATE.", rich_help_panel=ROWS),
            ],
            None,
        ),
        _param(
            "where",
            Annotated[
                str | None,
                opt(
                    metavar="EXPR",
                    help="Row filter, e.g. \"Channel = 'email' and Score >= 7\", "
                    "\"Region in ('EMEA','NA')\", \"Agent is not null\".",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "tz",
            Annotated[
                str | None,
                opt(
                    metavar="ZONE",
                    help="Time zone of times without an offset, e.g. Europe/Berlin (default: UTC).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "top",
            Annotated[
                int | None,
                opt(
                    metavar="N",
                    help="Rank groups: show the best and the worst N.",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "min_n",
            Annotated[
                int,
                opt(
                    metavar="N",
                    help="Groups with fewer than N valid rows are too small to judge.",
                    rich_help_panel=ROWS,
                ),
            ],
            0,
        ),
        _param(
            "encoding",
            Annotated[
                str | None,
                opt(
                    metavar="NAME",
                    help="Text encoding of CSV input, e.g. latin-1 (default: UTF-8, or "
                    "UTF-16 when the file starts with its BOM).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "sheet",
            Annotated[
                str | None,
                opt(
                    metavar="NAME|N",
                    help="Sheet of an Excel workbook: its name, or its number from 1 "
                    "(default: the first).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "header_rows",
            Annotated[
                int | None,
                opt(
                    metavar="N",
                    help="Rows the header takes; the second holds the columns' labels "
                    "(default: 1, or 3 for a Qualtrics and 2 for a SurveyMonkey export).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "skip_bad_lines",
            Annotated[
                bool,
                opt(
                    "--skip-bad-lines",
                    help="Skip malformed CSV lines (wrong number of fields), counting them, "
                    "instead of stopping.",
                    rich_help_panel=ROWS,
                ),
            ],
            False,
        ),
        _param(
            "skip_unreadable",
            Annotated[
                bool,
                opt(
                    "--skip-unreadable",
                    help="Go on without files and folders that cannot be read (a note names "
                    "them) instead of stopping.",
                    rich_help_panel=ROWS,
                ),
            ],
            False,
        ),
        _param(
            "profile",
            Annotated[
                str | None,
                opt(
                    metavar="NAME|none",
                    help="Read the input as this tool's export (cx profiles lists them), or "
                    "none (default: recognised by its header).",
                    rich_help_panel=ROWS,
                ),
            ],
            None,
        ),
        _param(
            "max_invalid",
            Annotated[
                float,
                opt(
                    metavar="PCT",
                    help="Exit 2 when more than PCT % of the values read are invalid (missing "
                    "ones do not count): a number from the rest would mislead. 100 turns it off.",
                    rich_help_panel=ROWS,
                ),
            ],
            20.0,
        ),
        _param(
            "strict",
            Annotated[
                bool,
                opt(
                    "--strict",
                    help="Invalid values are an error (exit 2), not counted.",
                    rich_help_panel=ROWS,
                ),
            ],
            False,
        ),
        _param(
            "hash_inputs",
            Annotated[
                bool,
                opt(
                    "--hash-inputs",
                    help="Add each input file's sha256 to the report.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            False,
        ),
        _param(
            "confidence",
            Annotated[
                float,
                opt(
                    metavar="LEVEL",
                    help="Confidence level of intervals and tests.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            0.95,
        ),
        _param(
            "adjust",
            Annotated[
                Adjust,
                opt(
                    help="How the run's change tests are adjusted together: bh "
                    "(Benjamini-Hochberg), holm, none.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            Adjust.BH,
        ),
        _param("format", format_option(OUTPUT), None),
        _param(
            "output",
            Annotated[
                str | None,
                opt(
                    "--output",
                    "-o",
                    metavar="PATH",
                    help="Write the report to PATH atomically instead of stdout.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            None,
        ),
        _param(
            "min",
            Annotated[
                float | None,
                opt(
                    "--min",
                    metavar="X",
                    help="Exit 3 when the value is below X.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            None,
        ),
        _param(
            "max",
            Annotated[
                float | None,
                opt(
                    "--max",
                    metavar="X",
                    help="Exit 3 when the value is above X.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            None,
        ),
        _param(
            "gate_on",
            Annotated[
                GateOn,
                opt(
                    help="interval: fail only when the whole confidence interval misses.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            GateOn.VALUE,
        ),
        _param(
            "gate_groups",
            Annotated[
                bool,
                opt(
                    "--gate-groups",
                    help="Apply --min/--max to every group too.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            False,
        ),
        _param(
            "baseline",
            Annotated[
                str | None,
                opt(
                    metavar="NUMBER|REPORT.json",
                    help="Compare with a number, or with a previous JSON report of this KPI "
                    "(with its significance test).",
                    rich_help_panel=OUTPUT,
                ),
            ],
            None,
        ),
        _param(
            "fail_on_decline",
            Annotated[
                bool,
                opt(
                    "--fail-on-decline",
                    help="Exit 3 when the value is significantly worse than --baseline.",
                    rich_help_panel=OUTPUT,
                ),
            ],
            False,
        ),
        _param(
            "jobs",
            Annotated[
                int | None,
                opt(
                    "--jobs",
                    "-j",
                    metavar="N",
                    min=1,
                    help="Read files (and Parquet row groups) on N worker processes; with "
                    "--engine dask, the local cluster's workers.",
                    rich_help_panel=SCALE,
                ),
            ],
            None,
        ),
        _param(
            "engine",
            Annotated[
                Engine,
                opt(
                    envvar="CX_ENGINE",
                    help="local, or dask (pip install 'cxcli[dask]'): fragments on Dask "
                    "workers, merged in a tree there.",
                    rich_help_panel=SCALE,
                ),
            ],
            Engine.LOCAL,
        ),
        _param(
            "scheduler",
            Annotated[
                str | None,
                opt(
                    metavar="ADDRESS",
                    envvar="CX_DASK_SCHEDULER",
                    help="A running Dask scheduler, e.g. tcp://host:8786 (default: a local "
                    "cluster for this run).",
                    rich_help_panel=SCALE,
                ),
            ],
            None,
        ),
        _param(
            "s3_endpoint",
            Annotated[
                str | None,
                opt(
                    metavar="URL",
                    help="An S3-compatible store for s3:// inputs (default: AWS_ENDPOINT_URL).",
                    rich_help_panel=SCALE,
                ),
            ],
            None,
        ),
        _param(
            "emit_state",
            Annotated[
                str | None,
                opt(
                    metavar="FILE",
                    help="Also write the run's partial state to FILE, for cx merge to combine "
                    "with other jobs' states.",
                    rich_help_panel=SCALE,
                ),
            ],
            None,
        ),
        _param(
            "quiet",
            Annotated[
                bool, opt("--quiet", "-q", help="Only errors on stderr.", rich_help_panel=OUTPUT)
            ],
            False,
        ),
        _param(
            "debug",
            Annotated[
                bool,
                opt(
                    "--debug",
                    help="Show tracebacks (may print data values).",
                    rich_help_panel=OUTPUT,
                ),
            ],
            False,
        ),
    ]
