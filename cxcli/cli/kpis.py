"""One command per registered KPI, built from its roles and options: a new KPI gets its
command, its --help and every shared option without a line of CLI code."""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..definition import Kpi, option_fields, option_type
from ..errors import CxError, ExitCode, UsageError
from ..escape import plain
from ..render import Format
from .options import COLUMNS, OPTIONS, _param, common_parameters

if TYPE_CHECKING:
    from ..planning import Baseline
    from ..result import Report


def role_parameters(kpi_cls: type[Kpi]) -> list[inspect.Parameter]:
    params = []
    for role in kpi_cls.roles:
        aliases = ", ".join(role.aliases)
        help_text = f"Column of {role.help} (default: {role.default}"
        help_text += f", or one of: {aliases}" if aliases else ""
        help_text += ", or the survey question that asks for it)" if role.wording else ")"
        if role.kind == "columns":
            help_text = f"Columns of {role.help} (required)"
        flags = [role.option, *("--" + old.replace("_", "-") for old in role.former)]
        params.append(
            _param(
                role.name,
                Annotated[
                    str | None,
                    typer.Option(
                        *flags,
                        metavar="COLS" if role.kind == "columns" else "COL",
                        help=help_text,
                        rich_help_panel=COLUMNS,
                    ),
                ],
                None,
            )
        )
    return params


def option_parameters(kpi_cls: type[Kpi]) -> list[inspect.Parameter]:
    params = []
    for f in option_fields(kpi_cls):
        kind = option_type(f)
        help_text = f.metadata.get("help", "")
        choices = f.metadata.get("choices")
        if choices:
            help_text += f" ({', '.join(choices)})"
        flag = "--" + f.name.replace("_", "-")
        flags = f.metadata.get("flags") or ()
        info = typer.Option(flag, *flags, help=help_text, rich_help_panel=OPTIONS)
        params.append(_param(f.name, Annotated[kind, info], f.default))
    return params


def examples_epilog(examples: Sequence[str]) -> str:
    """The end of a command's --help: its example command lines."""
    lines = "\n\n".join(f"  $ {example}" for example in examples)
    return f"Examples:\n\n{lines}"


def make_command(kpi_cls: type[Kpi]) -> Callable[..., None]:
    """A Typer command function whose signature is the KPI's roles, options and the shared
    options."""
    files = inspect.Parameter(
        "files",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        annotation=Annotated[
            list[str] | None,
            typer.Argument(
                metavar="FILE...",
                help="CSV, JSON Lines, Excel or Parquet files, globs, directories, or - for stdin.",
                show_default=False,
            ),
        ],
        default=None,
    )
    if kpi_cls.inputs:  # several named inputs: --spend FILE --customers FILE
        files_params = [
            _param(
                name,
                Annotated[
                    list[str] | None,
                    typer.Option(
                        f"--{name}",
                        metavar="FILE",
                        help=f"The {name} input: files, globs, directories or - (repeatable).",
                        rich_help_panel="Inputs",
                    ),
                ],
                None,
            )
            for name in kpi_cls.inputs
        ]
    else:
        files_params = [files]
    roles = role_parameters(kpi_cls)
    options = option_parameters(kpi_cls)
    params = [*files_params, *roles, *options, *common_parameters(kpi_cls.windowed)]

    def command(**kwargs: Any) -> None:
        execute(kpi_cls, kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = kpi_cls.name
    command.__doc__ = inspect.getdoc(kpi_cls)
    return command


def execute(kpi_cls: type[Kpi], kwargs: dict[str, Any]) -> None:
    """Run one KPI command: errors become one line on stderr and an exit code."""
    guarded(
        f"cx {kpi_cls.name}",
        kwargs["debug"],
        lambda: _run(kpi_cls, kwargs),
    )


def guarded(name: str, debug: bool, work: Callable[[], int]) -> None:
    """The error boundary of every command: a CxError is one line on stderr and its exit
    code, a bug one line asking for a report (a traceback only with --debug or CX_DEBUG)."""
    debug = debug or bool(os.environ.get("CX_DEBUG"))
    try:
        code = work()
    except CxError as exc:
        if debug:
            raise
        _error(f"{name}: error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        _error(f"{name}: interrupted")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except BrokenPipeError:
        _quiet_broken_pipe()
        raise typer.Exit(ExitCode.OK) from None
    except OSError as exc:  # stdout on a full disk, a device gone: the system's, not a bug
        where = exc.filename or "writing the output"
        _quiet_broken_pipe()
        _error(f"{name}: error: {where}: {exc.strerror or exc}")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    except Exception as exc:  # a bug: say so in one line unless --debug asks for more
        if debug:
            traceback.print_exc()
        else:
            _error(
                f"{name}: internal error: {type(exc).__name__}: {str(exc)[:200]}\n"
                "  this is a bug; run again with --debug for the traceback and report it"
            )
        raise typer.Exit(ExitCode.INTERNAL) from None
    if code:
        raise typer.Exit(code)


def _error(message: str) -> None:
    sys.stderr.write(plain(message.rstrip("\n")) + "\n")  # data in messages stays inert
    sys.stderr.flush()


def _quiet_broken_pipe() -> None:
    # The reader went away (`cx … | head`): stop quietly, and keep Python from complaining
    # about the unflushed stdout at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _run(kpi_cls: type[Kpi], kw: dict[str, Any]) -> int:
    """The command: its inputs and options through `compute` (the Python API's own path),
    then rendering, the gate's messages and the exit code."""
    from ..compute import compute

    quiet = kw["quiet"]

    def notice(message: str) -> None:
        if not quiet:
            _error(f"cx {kpi_cls.name}: {message}")

    if kpi_cls.inputs:
        paths: Any = {name: kw[name] or [] for name in kpi_cls.inputs}
        for name, specs in paths.items():
            if not specs:
                raise UsageError(f"cx {kpi_cls.name} needs --{name} FILE")
    else:
        paths = kw["files"] or []
    if kw["fail_on_decline"] and not kw["baseline"]:
        raise UsageError("--fail-on-decline needs --baseline NUMBER or a previous report")
    options = dict(kw)  # under make_query's names: --time is `time`, --from `from`
    if "time_column" in kw:  # a row KPI's --time (a windowed KPI's --time is its role)
        options["time"] = kw["time_column"]
    options.update({"from": kw.get("window_from"), "to": kw.get("window_to")})
    options["baseline"] = read_baseline(kw["baseline"], kpi_cls.name) if kw["baseline"] else None
    fmt = _choose_format(kw["format"], kw["output"])
    with _progress(quiet) as progress:
        report = compute(kpi_cls, paths, options, notice, progress)
    kpi = report.kpi
    if kw["hash_inputs"]:
        for item in report.inputs:
            item.hash()
    emit(report, fmt, kw["output"], notice)
    code = ExitCode.OK
    if report.gate and not report.gate["passed"]:
        for failure in report.gate["failures"]:
            where = "" if failure["key"] is None else f" {failure['key']}"
            _error(f"cx {kpi_cls.name}: gate failed{where}: {failure['reason']}")
        code = ExitCode.GATE_FAILED
    versus = report.baseline
    if kw["fail_on_decline"] and versus and versus["declined"] and versus["significant"]:
        from ..render.text import change_text

        _error(f"cx {kpi_cls.name}: significant decline: {change_text(kpi, versus)}")
        code = ExitCode.GATE_FAILED
    return code


def emit(report: Report, fmt: Format, output: str | None, notice: Callable[[str], None]) -> None:
    """The report in `fmt`: to `output` atomically (said through `notice`), or to stdout
    (in colour on a terminal that takes it)."""
    from ..render import render

    if output:
        from ..output import write_atomic

        write_atomic(output, lambda fh: render(report, fmt, fh))
        notice(f"wrote {output}")
    else:
        render(report, fmt, sys.stdout, color=fmt is Format.TABLE and _stdout_color())
        sys.stdout.flush()


def read_baseline(text: str, kpi_name: str) -> Baseline:
    """--baseline: a number, or a previous `cx <kpi> -f json` report of the same KPI."""
    from ..planning import Baseline, previous_baseline

    try:
        return Baseline(float(text), "number")
    except ValueError:
        pass
    try:
        data = json.loads(Path(text).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"--baseline {text!r} is neither a number nor a readable JSON report ({exc})"
        ) from None
    return previous_baseline(data, kpi_name, text)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[Any, int], None] | None]:
    """A transient rows-read counter on stderr, only when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    from ..render.console import reading_progress

    with reading_progress(Console(stderr=True)) as update:
        yield update


def _choose_format(fmt: Format | None, output: str | None) -> Format:
    if fmt is not None:
        return fmt
    if output:
        return Format.from_suffix(output) or Format.JSON
    return Format.TABLE if sys.stdout.isatty() else Format.JSON


def _stdout_color() -> bool:
    return (
        sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    )
