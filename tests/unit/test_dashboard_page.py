"""The dashboard page: self-contained, escaped, one chart per query, errors in their panel."""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from html.parser import HTMLParser
from typing import Any

import pytest

from scripts.dashboard_charts import CHARTS
from scripts.dashboard_page import PageContext, QueryResult, render_page
from scripts.dashboard_panels import sender_name
from scripts.svg_charts import format_duration, nice_ticks

TODAY = dt.date(2026, 3, 10)
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def context(**changes: Any) -> PageContext:
    values: dict[str, Any] = {
        "chats": [(-1001234567890, "Vendas Brasil 🇧🇷"), (-1009876543210, "Achados")],
        "days": 30,
        "tz": "America/Sao_Paulo",
        "window_start": TODAY - dt.timedelta(days=29),
        "window_end": TODAY,
        "generated_at": dt.datetime(2026, 3, 10, 15, 4, 5, tzinfo=dt.UTC),
        "source": "local lake /tmp/lake",
    }
    values.update(changes)
    return PageContext(**values)


def day(offset: int) -> dt.date:
    return TODAY - dt.timedelta(days=offset)


def sample_results() -> list[QueryResult]:
    """One plausible result per dashboard query, as the engines return them."""
    return [
        QueryResult(
            "messages_per_day",
            "How many messages per day?",
            ["day", "chat_id", "chat_title", "messages"],
            [(day(1), -1001234567890, "Vendas", 120), (day(0), -1009876543210, "Achados", 30)],
        ),
        QueryResult(
            "activity_heatmap",
            "When?",
            ["weekday", "hour", "messages"],
            [(1, 9, 5), (7, 23, 2), (3, 12, 11)],
        ),
        QueryResult(
            "top_senders",
            "Who most?",
            ["user_id", "first_name", "username", "messages"],
            [(1, "Ana", "ana_silva", 40), (2, "João", None, 12)],
        ),
        QueryResult(
            "message_types",
            "Kinds?",
            ["message_type", "messages"],
            [("text", 100), ("photo", 20)],
        ),
        QueryResult(
            "text_lengths",
            "Lengths?",
            ["bucket", "length_range", "messages"],
            [(1, "1-20", 4), (3, "51-100", 9)],
        ),
        QueryResult("top_hashtags", "Tags?", ["hashtag", "uses"], [("#oferta", 7), (HOSTILE, 3)]),
        QueryResult("top_mentions", "Mentions?", ["mention", "uses"], [("@ana", 2)]),
        QueryResult(
            "totals",
            "At a glance?",
            ["messages", "active_senders", "joins", "leaves"],
            [(1520, 87, 12, 3)],
        ),
        QueryResult("languages", "Languages?", ["language", "senders"], [("pt-br", 60), ("en", 4)]),
        QueryResult("top_domains", "Sites?", ["domain", "links"], [("loja.example.com", 4)]),
        QueryResult(
            "member_growth",
            "Growth?",
            ["day", "joins", "leaves", "net"],
            [(day(2), 3, 1, 2), (day(0), 0, 2, -2)],
        ),
        QueryResult(
            "join_sources",
            "Sources?",
            ["join_source", "joins"],
            [("invite_link", 5), ("added", 2), ("direct", 1)],
        ),
        QueryResult(
            "top_inviters",
            "Inviters?",
            ["user_id", "first_name", "username", "how", "invite_link_name", "joins"],
            [
                (1, "Ana", "ana_silva", "invite link", "Instagram", 4),
                (2, "João", None, "added", None, 2),
            ],
        ),
        QueryResult(
            "retention",
            "Retention?",
            ["cohort_week", "weeks", "joined", "reached", "still_member_pct", "posted_pct"],
            [
                (day(15), 1, 4, 4, 75.0, 50.0),
                (day(15), 4, 4, 0, None, None),
                (day(15), 12, 4, 0, None, None),
            ],
        ),
        QueryResult(
            "active_posters",
            "Active?",
            ["day", "daily", "weekly", "monthly"],
            [(day(1), 12, 20, None), (day(0), 9, 18, 25)],
        ),
        QueryResult(
            "community_health",
            "Health?",
            ["posters", "top_fifth_posters", "posts", "top_fifth_posts", "top_fifth_pct"],
            [(50, 10, 400, 260, 65.0)],
        ),
        QueryResult(
            "reactors_vs_posters",
            "Reactors?",
            ["activity", "people"],
            [("posted and reacted", 20), ("posted only", 12), ("reacted only", 5)],
        ),
        QueryResult(
            "reactions_per_day",
            "Reactions?",
            ["day", "added", "removed"],
            [(day(1), 12, 1), (day(0), 7, 0)],
        ),
        QueryResult(
            "top_emoji",
            "Emoji?",
            ["reaction_type", "emoji", "reactions"],
            [("emoji", "👍", 30), ("custom_emoji", "5368324170671202286", 4), ("paid", None, 2)],
        ),
        QueryResult(
            "most_reacted",
            "Most reacted?",
            ["chat_id", "chat_title", "message_id", "text_preview", "reactions", "link"],
            [
                (-1001234567890, "Vendas", 1001, "Promoção!", 12, "https://t.me/vendas/1001"),
                (-1009876543210, "Achados", 7, None, 5, "https://t.me/c/9876543210/7"),
                (-4726613835, "Família", 9, "oi", 3, None),
            ],
        ),
        QueryResult(
            "coverage",
            "Coverage?",
            ["chat_id", "chat_title", "coverage", "telegram_status", "period_start", "period_end"],
            [
                (-100987, "Achados", "admin", "administrator", None, dt.datetime(2026, 3, 4, 9)),
                (
                    -100987,
                    "Achados",
                    "not a member",
                    "kicked",
                    dt.datetime(2026, 3, 4, 9),
                    dt.datetime(2026, 3, 7, 18),
                ),
                (-100987, "Achados", "admin", "administrator", dt.datetime(2026, 3, 7, 18), None),
            ],
        ),
        QueryResult(
            "edits",
            "Edits?",
            ["messages", "edited_messages", "edited_pct", "median_seconds_to_edit"],
            [(200, 10, 5.0, 95.5)],
        ),
        QueryResult(
            "replies",
            "Replies?",
            ["messages", "replies", "reply_pct", "median_seconds_to_reply"],
            [(200, 50, 25.0, 600.0)],
        ),
    ]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


def panels(page: str) -> dict[str, str]:
    """The HTML of each query's panel, by query name."""
    return dict(
        re.findall(
            r'<section class="panel" id="q-[^"]*" data-query="([^"]*)">(.*?)</section>', page
        )
    )


def test_every_dashboard_query_has_a_chart_builder() -> None:
    from glue_schema.views import query_names

    assert set(query_names()) <= set(CHARTS)


def test_each_query_gets_its_own_panel_with_one_svg_chart() -> None:
    page = render_page(sample_results(), context())
    found = panels(page)
    assert list(found) == list(CHARTS)
    for name, html in found.items():
        assert html.count("<svg") == 1, name
        assert "no data in this window" not in html, name
        assert 'class="no-data"' not in html, name


#: The only links on the page: its own sections, and the most reacted messages in Telegram.
ALLOWED_LINK = re.compile(r"#s-[a-z]+|https://t\.me/(?:c/[0-9]+|[A-Za-z0-9_]+)/[0-9]+")


def test_the_page_refers_to_nothing_outside_itself() -> None:
    page = render_page(sample_results(), context())
    elements = parse(page)
    tags = {tag for tag, _ in elements.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use"}
    links = []
    for tag, attributes in elements.tags:
        for name, value in attributes.items():
            assert name not in ("src", "xlink:href"), tag
            if name == "href":
                assert tag == "a"
                assert ALLOWED_LINK.fullmatch(value or ""), value
                links.append(value)
                continue
            assert "//" not in (value or ""), (tag, name)
    # Links are followed only when clicked; nothing on the page loads from them.
    assert sorted(links) == sorted(
        [f"#s-{s}" for s in ("messages", "members", "engagement", "reactions", "coverage")]
        + ["https://t.me/vendas/1001", "https://t.me/c/9876543210/7"]
    )
    assert "http" not in re.sub(r"https://t\.me/[^\s\"<]*", "", page).replace("http-equiv", "")
    assert "@import" not in page
    assert "url(" not in page.replace("url(#heat-", "")


def test_only_a_well_formed_telegram_link_is_made_clickable() -> None:
    results = sample_results()
    hostile_links = [
        "javascript:alert(1)//https://t.me/x/1",
        'https://t.me/vendas/1" onclick="alert(1)',
        "https://evil.example/t.me/c/1/2",
    ]
    results = [r for r in results if r.name != "most_reacted"] + [
        QueryResult(
            "most_reacted",
            "Most reacted?",
            ["chat_id", "chat_title", "message_id", "text_preview", "reactions", "link"],
            [(-100, HOSTILE, n, HOSTILE, 3, link) for n, link in enumerate(hostile_links)],
        )
    ]
    html = panels(render_page(results, context()))["most_reacted"]
    assert "<a " not in html
    assert "onclick" not in {name for _, attributes in parse(html).tags for name in attributes}


def test_message_derived_text_is_escaped() -> None:
    results = sample_results()
    results[0] = QueryResult(
        "messages_per_day",
        "q",
        ["day", "chat_id", "chat_title", "messages"],
        [(day(0), 1, HOSTILE, 5)],
    )
    page = render_page(results, context(chats=[(1, HOSTILE)], source=HOSTILE))
    elements = parse(page)
    assert "script" not in {tag for tag, _ in elements.tags}
    assert "img" not in {tag for tag, _ in elements.tags}
    assert not any("onerror" in attributes for _, attributes in elements.tags)
    # The text itself is shown, intact: in the header, the legend and the hashtag bars.
    assert sum(HOSTILE in text for text in elements.text) >= 3


def test_a_failed_query_shows_its_error_and_the_others_still_render() -> None:
    results = sample_results()
    results[3] = QueryResult("top_senders", "Who most?", error="Table not found: <messages>")
    page = render_page(results, context())
    found = panels(page)
    assert "<svg" not in found["top_senders"]
    assert "Table not found: &lt;messages&gt;" in found["top_senders"]
    assert 'role="alert"' in found["top_senders"]
    assert all(html.count("<svg") == 1 for name, html in found.items() if name != "top_senders")


def test_a_result_without_the_expected_columns_explains_itself() -> None:
    results = sample_results()
    results[4] = QueryResult("message_types", "Kinds?", ["kind", "n"], [("text", 3)])
    found = panels(render_page(results, context()))
    assert "The chart could not be drawn" in found["message_types"]
    assert "no column message_type, messages" in found["message_types"]
    assert "<table" in found["message_types"]


def test_an_empty_result_says_so_inside_its_chart_and_why() -> None:
    results = [QueryResult(r.name, r.question, r.columns, []) for r in sample_results()]
    found = panels(render_page(results, context(chats=[])))
    for name, html in found.items():
        assert "no data in this window" in html, name
        assert html.count("<svg") == 1, name
        assert '<p class="no-data" role="note">' in html, name
    assert "reactions need the bot to be an admin and message_reaction" in found["top_emoji"]
    assert "chat_member in allowed_updates" in found["member_growth"]
    assert "my_chat_member" in found["coverage"]
    assert "No messages were posted in this window." in found["messages_per_day"]


def test_reactors_without_any_reaction_are_no_data_with_the_reactions_reason() -> None:
    results = [r for r in sample_results() if r.name != "reactors_vs_posters"] + [
        QueryResult("reactors_vs_posters", "R?", ["activity", "people"], [("posted only", 40)])
    ]
    html = panels(render_page(results, context()))["reactors_vs_posters"]
    assert "no data in this window" in html
    assert "message_reaction" in html


def test_the_page_is_in_sections_each_panel_titled_with_units_and_zone() -> None:
    page = render_page(sample_results(), context())
    titles = re.findall(r'<section class="group" id="s-([a-z]+)"', page)
    assert titles == ["messages", "members", "engagement", "reactions", "coverage"]
    members = page.split('id="s-members"')[1].split('<section class="group"')[0]
    assert re.findall(r'data-query="([a-z_]+)"', members) == [
        "member_growth", "join_sources", "top_inviters", "retention"
    ]  # fmt: skip
    for name, html in panels(page).items():
        heading = re.search(r"<h3>(.*?)</h3>", html)
        assert heading, name
        assert "last 30 days, America/Sao_Paulo" in heading.group(1), name
        assert escape(CHARTS[name].units) in heading.group(1), name
    assert "getChatMemberCount" in panels(page)["member_growth"]


def test_the_headline_chart_is_named_by_its_title_not_its_last_figure() -> None:
    html = panels(render_page(sample_results(), context()))["totals"]
    (label,) = re.findall(r'<svg class="chart chart-totals"[^>]*aria-label="([^"]*)"', html)
    assert label.startswith("At a glance")
    assert "<title>left" not in html


def test_member_growth_says_the_net_change() -> None:
    html = panels(render_page(sample_results(), context()))["member_growth"]
    assert "Net change over the window: +0 members" in html
    bars = re.findall(r'<rect class="bar"[^>]*><title>([^<]*)</title>', html)
    assert "joined, 8 Mar: 3 members" in bars
    assert "left, 10 Mar: 2 members" in bars


def test_inviters_and_sources_read_as_words() -> None:
    found = panels(render_page(sample_results(), context()))
    assert "Ana · link “Instagram”" in found["top_inviters"]
    assert "João · added them" in found["top_inviters"]
    assert "added by a member" in found["join_sources"]
    assert "custom emoji 5368324170671202286" in found["top_emoji"]
    assert "paid (Telegram Stars)" in found["top_emoji"]


def test_retention_is_a_grid_of_the_marks_with_not_yet_where_unreached() -> None:
    html = panels(render_page(sample_results(), context()))["retention"]
    cells = re.findall(r'<rect class="cell"[^>]*><title>([^<]*)</title>', html)
    assert len(cells) == 6
    assert "23 Feb · 4 joined, member 1w: 75%" in cells
    assert "23 Feb · 4 joined, posted w1: 50%" in cells
    assert cells.count("23 Feb · 4 joined, member 12w: not yet") == 1


def test_active_posters_lines_leave_unknown_days_out() -> None:
    html = panels(render_page(sample_results(), context()))["active_posters"]
    points = re.findall(r'<circle class="point"[^>]*><title>([^<]*)</title>', html)
    assert points == [
        "that day, 9 Mar: 12 people",
        "that day, 10 Mar: 9 people",
        "7 days, 9 Mar: 20 people",
        "7 days, 10 Mar: 18 people",
        "30 days, 10 Mar: 25 people",
    ]
    assert "day (America/Sao_Paulo)" in html


def test_community_health_is_the_top_fifths_share() -> None:
    html = panels(render_page(sample_results(), context()))["community_health"]
    assert "65% by the most active fifth (260 of 400)" in html
    assert "10 of 50 people posting" in html
    assert "share of posts (%)" in html


def test_coverage_draws_each_period_in_the_window() -> None:
    html = panels(render_page(sample_results(), context()))["coverage"]
    periods = re.findall(r'<rect class="period"[^>]*><title>([^<]*)</title>', html)
    assert periods == [
        "Achados: admin (administrator), before the window to 2026-03-04 09:00",
        "Achados: not a member (kicked), 2026-03-04 09:00 to 2026-03-07 18:00",
        "Achados: admin (administrator), 2026-03-07 18:00 to now",
    ]
    assert "date (America/Sao_Paulo)" in html


def test_the_header_states_chats_window_zone_and_generation_time() -> None:
    page = render_page(sample_results(), context())
    header = page.split("<main>")[0]
    assert "Vendas Brasil 🇧🇷" in header
    assert "-1009876543210" in header
    assert "last 30 days: 2026-02-09 to 2026-03-10" in header
    assert "America/Sao_Paulo" in header
    # In the page's zone, as every chart.
    assert "2026-03-10 12:04:05 America/Sao_Paulo" in header


def test_unknown_chats_are_said_to_be_unknown() -> None:
    page = render_page(sample_results(), context(chats=None))
    assert "unknown: the messages per day query failed" in page


def test_the_heatmap_has_a_cell_for_every_hour_of_every_weekday() -> None:
    html = panels(render_page(sample_results(), context()))["activity_heatmap"]
    cells = re.findall(r'<rect class="cell"[^>]*><title>([^<]*)</title>', html)
    assert len(cells) == 7 * 24
    assert "Wed 12:00-12:59: 11 messages" in cells
    assert "Sun 23:00-23:59: 2 messages" in cells
    assert "Mon 00:00-00:59: 0 messages" in cells
    assert "hour of day (America/Sao_Paulo)" in html


def test_daily_charts_have_one_slot_per_day_of_the_window_with_labelled_axes() -> None:
    html = panels(render_page(sample_results(), context()))["reactions_per_day"]
    bars = re.findall(r'<rect class="bar"[^>]*><title>([^<]*)</title>', html)
    assert len(bars) == 2 * 30
    assert bars[-4:] == [
        "added, 9 Mar: 12 reactions",
        "taken back, 9 Mar: 1 reactions",
        "added, 10 Mar: 7 reactions",
        "taken back, 10 Mar: 0 reactions",
    ]
    assert "day (America/Sao_Paulo)" in html
    assert "reactions per day" in html


def test_stacked_days_name_the_chat_in_each_bar() -> None:
    html = panels(render_page(sample_results(), context()))["messages_per_day"]
    assert "Vendas, 9 Mar: 120 messages" in html
    assert "Achados, 10 Mar: 30 messages" in html


def test_share_charts_show_the_percentage_and_the_median() -> None:
    found = panels(render_page(sample_results(), context()))
    assert "5% edited (10 of 200)" in found["edits"]
    assert "median time from sending to the first edit: 1.6 min" in found["edits"]
    assert "25% are replies (50 of 200)" in found["replies"]
    assert "10.0 min" in found["replies"]
    assert "share of messages (%)" in found["edits"]


def test_scanned_bytes_are_reported_per_query_and_in_total() -> None:
    results = [
        QueryResult(r.name, r.question, r.columns, r.rows, None, 3 * 1024 * 1024)
        for r in sample_results()
    ]
    page = render_page(results, context(source="Athena workgroup w"))
    assert "3.0 MB scanned" in panels(page)["edits"]
    total = len(sample_results())
    assert f"{3.0 * total:.1f} MB in {total} queries" in page


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (0, [0.0, 1.0]),
        (3, [0.0, 1.0, 2.0, 3.0]),
        (42, [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]),
        (830, [0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]),
        (2, [0.0, 1.0, 2.0]),
        (0.3, [0.0, 0.1, 0.2, 0.3]),
    ],
)
def test_nice_ticks(maximum: float, ticks: list[float]) -> None:
    assert nice_ticks(maximum) == ticks


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "n/a"), (45, "45 s"), (600, "10.0 min"), (7200, "2.0 h"), (3 * 86400, "3.0 days")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        ((1, "Ana", "ana_s"), "Ana (@ana_s)"),
        ((1, None, "ana_s"), "@ana_s"),
        ((1, "Ana", None), "Ana"),
        ((7, None, None), "user 7"),
    ],
)
def test_sender_name(parts: tuple[int, str | None, str | None], name: str) -> None:
    assert sender_name(*parts) == name


def test_a_name_cut_to_fit_keeps_its_full_text_as_a_tooltip() -> None:
    from scripts.svg_charts import legend

    long_title = "Grupo de Vendas e Trocas da Zona Leste de São Paulo 🇧🇷"
    drawn = legend([long_title, "Outro"])
    assert "…" in drawn
    assert f"<title>{long_title}</title>" in drawn
