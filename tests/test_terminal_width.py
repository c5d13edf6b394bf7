"""Terminal output fits the terminal: no line of a table, the report summary or the help is
wider than COLUMNS, and wide tables fold in their defined order."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import ROOT
from rich.cells import cell_len

from cxcli.registry import all_kpis

WIDTHS = (60, 80, 120)


def readme_examples() -> list[list[str]]:
    """Every `$ cx …` line of the README that runs on the bundled samples and prints a table."""
    text = (ROOT / "README.md").read_text().replace("\\\n", " ")
    examples = []
    for line in re.findall(r"^\$ cx (.+)$", text, flags=re.M):
        command = line.split("|")[0].split(";")[0].split("#")[0]
        args = shlex.split(command)
        files = [a for a in args if "/" in a and not a.startswith("-")]
        if not files or not all((ROOT / f).exists() for f in files):
            continue
        if any(a in ("-f", "--format", "-o", "--output") for a in args):
            continue  # JSON, CSV or Markdown: data, not a table for the terminal
        examples.append(args)
    return examples


def demo_examples() -> list[list[str]]:
    """The `make demo` commands (each prints a table)."""
    text = (ROOT / "Makefile").read_text()
    found = re.findall(r"^\t\$\(CX\) (.+)$", text, flags=re.M)
    return [shlex.split(c) for c in found if not c.startswith("report")]


EXAMPLES = readme_examples() + demo_examples()


def too_wide(text: str, width: int) -> list[str]:
    return [line for line in text.splitlines() if cell_len(line.rstrip()) > width]


def test_the_readme_has_examples_to_check():
    assert len(readme_examples()) >= 10 and len(demo_examples()) >= 14


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", EXAMPLES, ids=lambda a: " ".join(a)[:60])
def test_every_example_fits_the_terminal(cx, args, width):
    run = cx(*args, "-f", "table", env={"COLUMNS": str(width)})
    assert run.exit_code in (0, 3), run.stderr
    assert run.stdout.strip()
    assert too_wide(run.stdout, width) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", [[], ["report"], ["inspect"], *[[k] for k in all_kpis()]])
def test_help_fits_the_terminal(cx, command, width):
    run = cx(*command, "--help", env={"COLUMNS": str(width)})
    assert run.exit_code == 0
    assert too_wide(run.stdout, width) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", ["kpis", "profiles"])
def test_the_lists_fit_the_terminal(cx, command, width):
    run = cx(command, env={"COLUMNS": str(width)})
    assert run.exit_code == 0 and ("nps" in run.stdout or "qualtrics" in run.stdout)
    assert too_wide(run.stdout, width) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_report_summary_fits_the_terminal(cx, tmp_path, width):
    args = ["report", "-c", str(ROOT / "sample_data" / "cx.toml"), "-o", str(tmp_path)]
    args += ["--history", str(tmp_path / "h.parquet"), "--date", "2026-11-23", "-q"]
    run = cx(*args, env={"COLUMNS": str(width)})
    assert run.exit_code == 0, run.stderr
    assert too_wide(run.stdout, width) == []
    assert "Relationship NPS" in run.stdout and "21.5" in run.stdout
    if width == 60:
        assert "  Relationship NPS " in run.stdout and "≥ 20.0 (interval) · met" in run.stdout
    unfolded = cx(*args, env={"COLUMNS": "200"}).stdout
    assert "[19.1, 23.9]" in unfolded and "vs baseline 15 (outside the interval)" in unfolded


@pytest.mark.parametrize("width", WIDTHS)
def test_inspect_fits_the_terminal(cx, width):
    run = cx("inspect", str(ROOT / "sample_data" / "tickets.csv"), env={"COLUMNS": str(width)})
    assert run.exit_code == 0 and too_wide(run.stdout, width) == []


def _wide_table(cx, tmp_path, width: int, segments: int = 3) -> str:
    """NPS by a long segment name and quarter, with missing and invalid scores in every group."""
    lines = ["Region,LTR,Date"]
    for i in range(segments):
        for quarter, month in ((1, "02"), (2, "05")):
            scores = [str(s % 11) for s in range(40 + 10 * quarter)] + ["", "", "ten"]
            lines += [f"Region number {i},{s},2025-{month}-10" for s in scores]
    path = tmp_path / "survey.csv"
    path.write_text("\n".join(lines) + "\n")
    args = [str(path), "--by", "Region", "--period", "quarter", "-f", "table", "-q"]
    run = cx("nps", *args, env={"COLUMNS": str(width)})
    assert run.exit_code == 0, run.stderr
    return run.stdout


def test_a_wide_table_folds_in_order(cx, tmp_path):
    wide = _wide_table(cx, tmp_path, 160)
    assert "missing / invalid" in wide and "[-69.6, -28.6]" in wide
    assert "▲ +2.0 vs 2025-Q1 (n.s. ±40.8)" in wide
    folded = _wide_table(cx, tmp_path, 90)
    assert too_wide(folded, 90) == []
    # Intervals shorten first, then the counts move to a footnote; the change keeps its words.
    assert "-69.6–-28.6" in folded and "[-69.6" not in folded
    assert "missing / invalid: Region number 0 2025-Q1: 2 / 1;" in folded
    assert "vs 2025-Q1" in folded
    narrow = _wide_table(cx, tmp_path, 80)
    assert too_wide(narrow, 80) == []
    assert "▲ +2.0 n.s." in narrow and "vs 2025-Q1" not in narrow
    assert "change: vs the previous period or baseline" in narrow
    squeezed = _wide_table(cx, tmp_path, 60)  # past the last fold: text wraps in its cell
    assert too_wide(squeezed, 60) == [] and squeezed.count("-69.6–-28.6") == 3


def test_the_quality_footnote_names_the_first_groups_and_counts_the_rest(cx, tmp_path):
    folded = " ".join(_wide_table(cx, tmp_path, 60, segments=7).split())
    assert "Region number 4 2025-Q2: 2 / 1; 4 more" in folded


def test_a_long_trend_folds_to_its_last_periods(cx):
    args = [str(ROOT / "sample_data" / "survey.csv"), "--period", "week", "-f", "table", "-q"]
    wide = cx("nps", *args, env={"COLUMNS": "200"}).stdout
    assert "periods" in wide.split("Trend")[1] and "(the last" not in wide
    narrow = cx("nps", *args, env={"COLUMNS": "40"}).stdout
    trend = narrow.split("Trend")[1]
    assert trend.startswith(", 2025-W") and "(the last 12 periods)" in trend
    assert too_wide(narrow, 40) == []
