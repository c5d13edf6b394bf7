"""The HTML report in a real headless browser (Debian's Chromium), on a desktop (1280 px) and a
phone (390 px): it loads with no console errors or failed requests, is self-contained, every
KPI has a drawn chart, nothing is wider than the screen and no chart covers text. Screenshots
are written under the test's temporary folder for a person to look at. CI installs Chromium and
sets CX_REQUIRE_BROWSER=1, so there the test cannot be skipped."""

from __future__ import annotations

import os
import re
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if CHROMIUM is None and not os.environ.get("CX_REQUIRE_BROWSER"):
    pytest.skip("no chromium on this machine (CI installs it)", allow_module_level=True)


@pytest.fixture
def page_html(sample_report):
    return sample_report[0] / "report.html"


def test_the_page_is_self_contained(page_html):
    html = page_html.read_text()
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no network resources
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only references inside the page


LAYOUT = """() => {
    const box = e => e.getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    const sections = [...document.querySelectorAll('section.kpi')].filter(
        s => s.querySelector('.badge'));
    const charts = [...document.querySelectorAll('figure.chart svg')];
    const text = [...document.querySelectorAll('h1, h2, h3, p, figcaption, table, .tile')];
    const overlaps = [];
    for (const svg of charts) {
        const a = box(svg);
        for (const t of text) {
            const b = box(t);
            const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (x > 1 && y > 1) overlaps.push(svg.getAttribute('aria-label') + ' / ' +
                t.tagName + ' ' + t.textContent.slice(0, 40));
        }
    }
    const wide = [...document.querySelectorAll('main *')].filter(e => {
        if (e.closest('.wide') && !e.classList.contains('wide')) return false;  // scrolls
        return box(e).right > width + 1;
    }).map(e => e.tagName + '.' + e.className);
    return {
        width, scroll: document.documentElement.scrollWidth, overlaps, wide,
        sections: sections.map(s => ({
            name: s.querySelector('h3').firstChild.textContent.trim(),
            charts: [...s.querySelectorAll('figure.chart svg')].map(svg => ({
                w: box(svg).width, h: box(svg).height,
                paths: svg.querySelectorAll('path').length,
                label: svg.getAttribute('aria-label')})),
        })),
        tiles: document.querySelectorAll('.tile').length,
        title: document.title,
    };
}"""


@pytest.mark.parametrize("viewport", [1280, 390], ids=["desktop", "phone"])
def test_the_page_lays_out_in_chromium_with_a_chart_for_every_kpi(page_html, tmp_path, viewport):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "CX_REQUIRE_BROWSER is set but chromium is not installed"
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": viewport, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on(
                "request",
                lambda r: None if r.url.startswith("file:") else problems.append(r.url),
            )
            page.goto(page_html.as_uri(), wait_until="load")
            layout = page.evaluate(LAYOUT)
            page.screenshot(path=str(tmp_path / f"report-{viewport}px.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / f"report-{viewport}px.png").stat().st_size > 10_000
    assert problems == []
    assert layout["title"] == "Sample CX report · 2026-11-23"
    assert layout["tiles"] == 18 and len(layout["sections"]) == 18
    assert layout["scroll"] <= layout["width"], "the page scrolls sideways"
    assert layout["wide"] == []
    assert layout["overlaps"] == []
    for section in layout["sections"]:
        assert section["charts"], f"{section['name']} has no chart"
        for chart in section["charts"]:
            assert chart["w"] > 200 and chart["h"] > 60, chart  # laid out, not empty
            assert chart["w"] <= viewport, chart
            assert chart["paths"] > 3, chart  # axes, ticks and the data were drawn
    labels = {c["label"] for s in layout["sections"] for c in s["charts"]}
    assert "Relationship NPS by month" in labels
    assert "Relationship NPS: detractors, passives, promoters" in labels
    assert "Relationship NPS by Region" in labels
    assert "Comment sentiment: negative, neutral, positive" in labels
