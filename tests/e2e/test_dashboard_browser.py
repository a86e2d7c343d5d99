"""The dashboard in a real headless Chromium: every chart drawn, nothing fetched, no errors;
the member, engagement, reaction and coverage sections drawn where the lake has their
data, and saying why where it has none."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from glue_schema.views import query_names
from scripts.cli import main
from tests.engagement_scenario import build_scenario, scenario_updates, write_scenario_lake

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


#: The sections' panels that read member_events or reactions, and how each draws its data.
ENGAGEMENT_PANELS = {
    "member_growth": "rect.bar",
    "join_sources": "rect.bar",
    "top_inviters": "rect.bar",
    "retention": "rect.cell",
    "reactors_vs_posters": "rect.bar",
    "reactions_per_day": "rect.bar",
    "top_emoji": "rect.bar",
    "most_reacted": "rect.bar",
    "coverage": "rect.period",
}
SECTIONS = ["Messages", "Members", "Engagement", "Reactions", "Coverage"]


@pytest.fixture(scope="module")
def engagement_pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two pages of four months of four chats (tests/engagement_scenario.py): with every
    table, and with `messages` alone (no member_events, no reactions)."""
    root = tmp_path_factory.mktemp("engagement")
    full, bare = root / "full", root / "bare"
    write_scenario_lake(full, scenario_updates(build_scenario(int(time.time()))))
    shutil.copytree(full / "data" / "messages", bare / "data" / "messages")
    (bare / "raw").mkdir()
    pages = []
    for lake in (full, bare):
        page = root / f"{lake.name}.html"
        arguments = ["--days", "120", "--tz", "America/Sao_Paulo", "-o", str(page)]
        assert main(["dashboard", "--lake", str(lake), *arguments]) == 0
        pages.append(page)
    return pages[0], pages[1]


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
    assert page.locator("section.group > h2").all_inner_texts() == SECTIONS
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


def test_the_new_sections_draw_their_data_titled_with_units_and_zone(
    engagement_pages: tuple[Path, Path], browser_page: Any
) -> None:
    page = browser_page
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    url = engagement_pages[0].resolve().as_uri()
    page.goto(url, wait_until="load")
    assert page.locator("section.group > h2").all_inner_texts() == SECTIONS
    for name, drawn in ENGAGEMENT_PANELS.items():
        panel = page.locator(f'section.panel[data-query="{name}"]')
        # THEN each panel is in its section, titled with its units and the zone, with its
        # caption, and draws its data
        assert panel.count() == 1, name
        heading = panel.locator("h3").inner_text()
        assert "last 120 days, America/Sao_Paulo" in heading, name
        assert panel.locator("p.caption").is_visible(), name
        assert panel.locator(f"svg.chart {drawn}").count() > 0, name
        assert panel.locator(".no-data").count() == 0, name
        box = panel.locator("svg.chart").bounding_box()
        assert box is not None, name
        assert box["height"] > 80, name
    members = page.locator("#s-members section.panel")
    assert members.evaluate_all("panels => panels.map(p => p.dataset.query)") == [
        "member_growth", "join_sources", "top_inviters", "retention"
    ]  # fmt: skip
    assert page.locator('section[data-query="active_posters"] circle.point').count() > 100
    assert (
        "by the most active fifth" in page.locator('[data-query="community_health"]').inner_text()
    )
    assert "not yet" in page.locator('[data-query="retention"]').inner_text()
    # The most reacted messages link to Telegram; following them is up to the reader.
    links = page.locator('section[data-query="most_reacted"] ol.links a')
    assert links.count() == 10
    assert all(h.startswith("https://t.me/") for h in links.evaluate_all("a => a.map(x => x.href)"))
    assert problems == []


def test_sections_without_their_tables_say_why(
    engagement_pages: tuple[Path, Path], browser_page: Any
) -> None:
    page = browser_page
    page.goto(engagement_pages[1].resolve().as_uri(), wait_until="load")
    # THEN every panel still has its chart, and the ones whose table is missing say why
    assert page.locator("svg.chart").count() == len(query_names())
    for name in ENGAGEMENT_PANELS:
        reason = page.locator(f'section.panel[data-query="{name}"] .no-data')
        assert reason.is_visible(), name
        text = reason.inner_text()
        if name in ("reactors_vs_posters", "reactions_per_day", "top_emoji", "most_reacted"):
            assert "reactions need the bot to be an admin and message_reaction" in text, name
        elif name == "coverage":
            assert "my_chat_member" in text, name
        else:
            assert "chat_member in allowed_updates" in text, name
    for name in ("messages_per_day", "active_posters", "community_health", "activity_heatmap"):
        assert page.locator(f'section.panel[data-query="{name}"] .no-data').count() == 0, name


@pytest.mark.parametrize("width", [390, 1280])
def test_the_new_sections_fit_a_phone_and_a_desktop(
    engagement_pages: tuple[Path, Path], browser_page: Any, width: int
) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(engagement_pages[0].resolve().as_uri(), wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for name in ENGAGEMENT_PANELS:
        panel = page.locator(f'section.panel[data-query="{name}"]')
        for part in ("svg.chart", ".caption"):
            box = panel.locator(part).first.bounding_box()
            assert box is not None, (name, part)
            assert box["x"] >= 0, (name, part)
            assert box["x"] + box["width"] <= width, (name, part)
