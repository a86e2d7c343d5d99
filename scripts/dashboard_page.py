"""The dashboards as one self-contained HTML page: inline CSS, inline SVG charts, no script.

Pure: query results in, HTML text out. Nothing on the page refers to anything
outside it (no fonts, scripts, styles or images to fetch), so the file opens
offline, from a mail attachment or a USB stick; the only links are the most reacted
messages' t.me addresses, which open Telegram when followed and fetch nothing. Every
text that comes from the data (chat titles, names, hashtags, domains, error
messages) is HTML-escaped.

The panels come in sections (messages, members, engagement, reactions, coverage),
in the spirit of Telegram's statistics page: each titled with its units and the
window's time zone, with its question, a caption saying what it counts, and, when
the window has nothing to show, why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from zoneinfo import ZoneInfo

from scripts.dashboard_charts import CHARTS, SECTIONS, generic_chart, page_order, result_title
from scripts.dashboard_panels import Chart
from scripts.dashboard_results import ChartDataError, PageContext, QueryResult
from scripts.svg_charts import esc, is_empty

# The page's inputs are defined in dashboard_results, with the reading of their rows;
# callers import them from here.
__all__ = ["STYLE", "PageContext", "QueryResult", "format_scanned", "render_page", "table_html"]


def table_html(columns: Sequence[str], rows: Sequence[Sequence[Any]], limit: int = 50) -> str:
    """The rows as an HTML table (for a query the page has no chart for)."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc('' if v is None else v)}</td>" for v in row) + "</tr>"
        for row in rows[:limit]
    )
    more = f"<p class=note>{len(rows) - limit} more rows</p>" if len(rows) > limit else ""
    return f'<table class="rows"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}'


#: A query without a chart of its own.
_GENERIC: Final = Chart("Other", "", "", generic_chart, "", "No rows in this window.")


def _window(context: PageContext) -> str:
    return f"last {context.days} day{'s' if context.days != 1 else ''}, {context.tz}"


def _panel(result: QueryResult, context: PageContext) -> str:
    chart_spec = CHARTS.get(result.name, _GENERIC)
    title = result_title(result.name)
    units = " · ".join(part for part in (chart_spec.units, _window(context)) if part)
    footer = [f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}"]
    if result.data_scanned_bytes is not None:
        footer.append(f"{format_scanned(result.data_scanned_bytes)} scanned")
    footer.append(f"glue_schema/queries/{result.name}.sql")
    caption = f"<p class=caption>{esc(chart_spec.caption)}</p>" if chart_spec.caption else ""
    head = (
        f'<section class="panel" id="q-{esc(result.name)}" data-query="{esc(result.name)}">'
        f'<h3>{esc(title)} <span class="units">({esc(units)})</span></h3>'
        f"<p class=question>{esc(result.question)}</p>{caption}"
    )
    if result.error is not None:
        body = f'<div class="error" role="alert"><strong>This query failed.</strong><pre>{esc(result.error)}</pre></div>'
        return head + body + "</section>"
    try:
        chart = chart_spec.build(result, context)
    except (ChartDataError, TypeError, ValueError) as error:
        body = (
            f'<div class="error" role="alert"><strong>The chart could not be drawn.</strong>'
            f"<pre>{esc(error)}</pre></div>{table_html(result.columns, result.rows)}"
        )
        return head + body + "</section>"
    if not chart:
        chart = table_html(result.columns, result.rows)
    reason = (
        f'<p class="no-data" role="note">{esc(chart_spec.empty)}</p>'
        if is_empty(chart) and chart_spec.empty
        else ""
    )
    meta = " · ".join(esc(part) for part in footer)
    return head + f"<figure>{chart}</figure>{reason}<p class=meta>{meta}</p></section>"


def _section(name: str, panels: list[str]) -> str:
    anchor = "s-" + name.lower()
    return (
        f'<section class="group" id="{anchor}" aria-labelledby="{anchor}-title">'
        f'<h2 id="{anchor}-title">{esc(name)}</h2>'
        f"<p class=about>{esc(SECTIONS.get(name, ''))}</p>"
        f'<div class="panels">{"".join(panels)}</div></section>'
    )


def format_scanned(count: int) -> str:
    """Bytes scanned as a short figure."""
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover - the loop returns


STYLE: Final = """
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #d6dbe3; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--bg); }
header { padding: 20px 28px 12px; background: #fff; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 8px; font-size: 22px; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
header dt { color: var(--muted); }
header dd { margin: 0; }
header ul { margin: 0; padding: 0; list-style: none; }
main { padding: 8px 28px 28px; }
nav.sections { margin: 10px 0 0; }
nav.sections a { margin-right: 14px; color: #0b57a3; }
section.group { margin: 18px 0 0; }
section.group > h2 { margin: 0; font-size: 19px; }
.about { margin: 2px 0 10px; color: var(--muted); }
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(520px, 100%), 1fr));
          gap: 16px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
         min-width: 0; overflow-x: auto; }
header dd { overflow-wrap: anywhere; }
section.panel[data-query="totals"] { grid-column: 1 / -1; }
section.panel[data-query="totals"] svg.chart { max-width: 720px; margin: 0 auto; }
@media (max-width: 600px) {
  header { padding: 14px 12px 10px; }
  main { padding: 4px 8px 16px; }
  .panels { gap: 10px; }
  .panel { padding: 10px 10px; }
  footer { padding: 0 12px 16px; }
}
.panel h3 { margin: 0; font-size: 16px; }
.panel h3 .units { font-weight: normal; font-size: 13px; color: var(--muted); }
.question { margin: 2px 0 4px; color: var(--muted); }
.caption { margin: 0 0 8px; font-size: 12px; color: var(--muted); }
.no-data { margin: 6px 0 0; padding: 6px 10px; border-left: 4px solid #8a93a1;
           background: #f3f4f6; }
.chart-note { margin: 4px 0 0; }
ol.links { margin: 6px 0 0; padding-left: 22px; font-size: 12px; overflow-wrap: anywhere; }
ol.links a { color: #0b57a3; }
figure { margin: 0; }
svg.chart { width: 100%; height: auto; display: block; font-size: 11px; }
svg .tick, svg .value, svg .category, svg .legend { fill: #39414e; }
svg .axis-label { fill: var(--muted); font-size: 12px; }
svg .headline { font-size: 15px; font-weight: 600; fill: var(--ink); }
svg .note { font-size: 13px; fill: var(--ink); }
svg .empty { fill: var(--muted); font-size: 14px; }
svg .grid { stroke: #e8ebf0; stroke-width: 1; }
svg .axis { stroke: #8a93a1; stroke-width: 1; }
svg rect.bar:hover, svg rect.cell:hover, svg rect.period:hover { opacity: 0.8; }
.meta { margin: 6px 0 0; color: var(--muted); font-size: 12px; }
.error { border-left: 4px solid #c62828; background: #fdecea; padding: 8px 12px; }
.error pre { white-space: pre-wrap; word-break: break-word; margin: 6px 0 0; }
table.rows { border-collapse: collapse; width: 100%; font-size: 12px; }
table.rows th, table.rows td { border-bottom: 1px solid var(--line); padding: 2px 6px; text-align: left; }
footer { padding: 0 28px 24px; color: var(--muted); font-size: 12px; }
"""


def render_page(results: Sequence[QueryResult], context: PageContext) -> str:
    """The whole page: header (chats, window, zone, time, source), then one panel per query."""
    by_name = {result.name: result for result in results}
    sections: dict[str, list[str]] = {}
    for name in page_order(by_name):
        section = CHARTS.get(name, _GENERIC).section
        sections.setdefault(section, []).append(_panel(by_name[name], context))
    ordered = [name for name in SECTIONS if name in sections]
    groups = "".join(_section(name, sections[name]) for name in ordered)
    contents = " ".join(f'<a href="#s-{name.lower()}">{esc(name)}</a>' for name in ordered)
    if context.chats is None:
        chats = "<li>unknown: the messages per day query failed</li>"
    elif context.chats:
        chats = "".join(
            f"<li>{esc(title or 'untitled chat')} <span class=muted>({chat_id})</span></li>"
            for chat_id, title in context.chats
        )
    else:
        chats = "<li>no messages in this window</li>"
    # The reader's zone, as every chart: the same instant, written where they are.
    generated = context.generated_at.astimezone(ZoneInfo(context.tz))
    scanned = [r.data_scanned_bytes for r in results if r.data_scanned_bytes is not None]
    scanned_row = (
        f"<dt>data scanned</dt><dd>{esc(format_scanned(sum(scanned)))} "
        f"in {len(scanned)} queries</dd>"
        if scanned
        else ""
    )
    failed = sum(1 for r in results if r.error is not None)
    failed_row = f"<dt>failed</dt><dd>{failed} of {len(results)} queries</dd>" if failed else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Telegram groups dashboard</title>"
        f"<style>{STYLE}</style></head><body>"
        "<header><h1>Telegram groups dashboard</h1><dl>"
        f"<dt>chats</dt><dd><ul class=chats>{chats}</ul></dd>"
        f"<dt>window</dt><dd>last {context.days} day{'s' if context.days != 1 else ''}: "
        f"{context.window_start.isoformat()} to {context.window_end.isoformat()}</dd>"
        f"<dt>time zone</dt><dd>{esc(context.tz)}</dd>"
        f'<dt>generated</dt><dd><time datetime="{generated.isoformat(timespec="seconds")}">'
        f"{generated:%Y-%m-%d %H:%M:%S} {esc(context.tz)}</time></dd>"
        f"<dt>source</dt><dd>{esc(context.source)}</dd>{scanned_row}{failed_row}"
        f'</dl><nav class="sections" aria-label="sections">{contents}</nav>'
        f"</header><main>{groups}</main>"
        "<footer>Days, hours and weekdays are in the time zone above. Messages are counted "
        "once each, in their latest version; service messages (joins, leaves, pins) appear "
        "only under message types and the headline's joins and leaves. Membership changes "
        "and reactions come from their own tables (member_events, reactions), each change "
        "once.</footer>"
        "</body></html>\n"
    )
