"""The demo's dashboard in a real headless Chromium: every chart drawn, nothing fetched, no errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from glue_schema.views import query_names
from scripts.cli import main

CHROMIUM = Path("/usr/bin/chromium")
#: Offline and quiet: no first-run work, no background fetches, no update checks.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page `tgpipe demo` writes, from its own lake (real HTTP, real stack)."""
    lake = tmp_path_factory.mktemp("browser") / "demo"
    saved = dict(os.environ)  # the stack configures the webhook through the environment
    try:
        assert main(["demo", "--lake", str(lake), "--count", "800"]) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return lake / "dashboard.html"


@pytest.fixture
def browser_page(tmp_path: Path) -> Any:
    """A fresh headless Chromium page (the Debian package, driven by Playwright)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs the chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def test_the_demo_dashboard_renders_one_chart_per_query_offline(
    demo_page: Path, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    # WHEN the page is opened from disk
    url = demo_page.resolve().as_uri()
    page.goto(url, wait_until="load")
    # THEN each query's panel holds exactly one chart, drawn at a visible size
    for name in query_names():
        charts = page.locator(f'section.panel[data-query="{name}"] svg.chart')
        assert charts.count() == 1, name
        box = charts.first.bounding_box()
        assert box is not None, name
        assert box["width"] > 300, name
        # The headline row of totals is one line of numbers; every chart is taller.
        assert box["height"] > (40 if name == "totals" else 80), name
    assert page.locator("svg.chart").count() == len(query_names())
    assert page.locator(".error").count() == 0
    # AND the data is there: bars, and the heatmap's 7 x 24 cells
    # (the demo's window is the few days its conversation spans: a bar a day)
    assert page.locator('section[data-query="messages_per_day"] rect.bar').count() >= 2
    assert page.locator('section[data-query="activity_heatmap"] rect.cell').count() == 7 * 24
    assert "Vendas Brasil" in page.locator("header").inner_text()
    # AND nothing but the file itself was requested, and nothing complained
    assert requests == [url]
    assert problems == []
    screenshot = tmp_path / "dashboard.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_the_dashboard_fits_a_phone_and_a_desktop_without_sideways_scrolling(
    demo_page: Path, browser_page: Any, width: int, height: int
) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(demo_page.resolve().as_uri(), wait_until="load")
    # THEN the page is no wider than the screen, and every chart is drawn inside it
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for name in query_names():
        box = page.locator(f'section.panel[data-query="{name}"] svg.chart').first.bounding_box()
        assert box is not None, name
        assert box["x"] >= 0, name
        assert box["x"] + box["width"] <= width, name
        assert box["width"] >= min(300, width - 60), name
