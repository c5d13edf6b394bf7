"""Renderers: streamed JSON is byte-identical to one json.dumps; formulas and control characters
from the data are neutralised; long group lists are cut in tables, never in JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cxcli.engine import Query, run
from cxcli.kpis.nps import Nps
from cxcli.periods import Period
from cxcli.render import Format, render
from cxcli.render.json import clean
from cxcli.render.text import MAX_SHOWN

SEGMENTS = [
    '=HYPERLINK("http://x","click")',
    "+SUM(1+1)",
    "-2+3",
    "@cmd",
    "plain",
    "\tTAB",
    "[bold red]VIP[/]",
    "A\x1b]0;pwned\x07B\x1b[2JC",
]


def _evil() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "nps_score", "Segment"])
    writer.writerows([i, i % 11, segment] for i, segment in enumerate(SEGMENTS))
    return out.getvalue()


EVIL = _evil()


def text(report, fmt: Format) -> str:
    out = io.StringIO()
    render(report, fmt, out)
    return out.getvalue()


@pytest.mark.parametrize("query", [Query(), Query(by=("Region",), period=Period.MONTH)])
def test_streamed_json_is_one_dumps(query):
    from conftest import SAMPLE

    report = run(Nps(), [str(SAMPLE / "survey.csv")], query)
    expected = json.dumps(clean(report.to_dict()), indent=2, ensure_ascii=False) + "\n"
    assert text(report, Format.JSON) == expected


def test_every_format_renders(write_csv):
    report = run(Nps(), [str(write_csv("e.csv", EVIL))], Query(by=("Segment",)))
    for fmt in Format:
        assert text(report, fmt)


def test_formula_injection_is_neutralised_in_csv_and_markdown(write_csv):
    report = run(Nps(), [str(write_csv("e.csv", EVIL))], Query(by=("Segment",)))
    csv_text = text(report, Format.CSV)
    for formula in ("=HYPERLINK", "+SUM", "-2+3", "@cmd"):
        assert f"'{formula}" in csv_text
        assert f",{formula}" not in csv_text
    assert "'\tTAB" in csv_text
    markdown = text(report, Format.MARKDOWN)
    assert "| '=HYPERLINK" in markdown and "| '@cmd" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line]
    values = [line.split(" | ")[1] for line in rows[1:]]  # cx's own numbers are not prefixed
    assert "-100.0" in values and not any(v.startswith("'") for v in values)
    assert "\x1b" not in markdown and "\\[bold red\\]VIP" in markdown  # data is literal text


def test_terminal_output_keeps_data_inert(write_csv):
    report = run(Nps(), [str(write_csv("e.csv", EVIL))], Query(by=("Segment",)))
    table = text(report, Format.TABLE)
    assert "\x1b" not in table and "\x07" not in table
    assert "[bold red]VIP[/]" in table  # shown as written, not as markup


def test_tables_cut_long_group_lists_json_keeps_them(write_csv):
    rows = "".join(f"c{i},{i % 11}\n" for i in range(MAX_SHOWN + 25))
    report = run(
        Nps(),
        [str(write_csv("m.csv", "customer_id,nps_score\n" + rows))],
        Query(by=("customer_id",)),
    )
    assert "25 more groups not shown" in text(report, Format.TABLE)
    assert "25 more groups not shown" in text(report, Format.MARKDOWN)
    assert len(json.loads(text(report, Format.JSON))["groups"]) == MAX_SHOWN + 25
    assert text(report, Format.CSV).count("\n") == MAX_SHOWN + 25 + 2


def test_markdown_shows_the_ranking(cx):
    from conftest import SAMPLE

    result = cx(
        "aht",
        str(SAMPLE / "tickets.csv"),
        "--talk",
        "Talk",
        "--by",
        "Agent",
        "--top",
        "2",
        "--min-n",
        "120",
        "-q",
        "-f",
        "markdown",
    )
    assert "**Best 2:** agent-" in result.stdout and "**Worst 2:** agent-" in result.stdout
    assert "groups below --min-n are not ranked" in result.stdout
