"""report.html in a real browser (issue 19, part 1): Debian's Chromium, headless, driven by playwright.

The shipped sample is built (configs/sample.yaml over data/sample/) and its report.html opened with
the network refused: no console error, no request leaves the file, every chart's <svg> is drawn
(non-zero size, with drawn elements) and the screenshot is a real picture. Skipped with the reason
when playwright or Chromium (scripts/install_browser.sh, run by `make test`) is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import ROOT

from corpus.cli import main
from scripts.screenshot_report import ARGS, find_chromium


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "out"
    before = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["-q", "build", "configs/sample.yaml", "--output", str(out)]) == 0
    finally:
        os.chdir(before)
    return out / "report.html"


def test_report_renders_in_chromium(report, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip: .[dev])")
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no chromium on PATH: scripts/install_browser.sh installs Debian's chromium")
    errors: list[str] = []
    failed: list[str] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda r: failed.append(r.url))

            def route(r):
                if r.request.url.startswith("file:"):
                    return r.continue_()
                outside.append(r.request.url)
                return r.abort()

            page.route("**/*", route)
            page.goto(report.as_uri(), wait_until="load")
            charts = page.evaluate(
                """() => [...document.querySelectorAll('svg.chart')].map(s => {
                    const b = s.getBoundingClientRect();
                    return {name: s.dataset.chart, width: b.width, height: b.height,
                            drawn: s.querySelectorAll('path, rect, use, text').length};
                })"""
            )
            title = page.title()
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == [] and failed == [] and outside == []
    assert "build report" in title
    names = {c["name"] for c in charts}
    assert {"funnel", "chars-removed", "hist-chars", "languages", "cluster-sizes"} <= names
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 50 and chart["drawn"] > 5, chart
    from PIL import Image

    with Image.open(shot) as im:
        assert im.format == "PNG" and im.width == 1200 and im.height > 2000
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, bars and backgrounds: not a blank page
