"""The dashboards as one self-contained HTML page: inline CSS, inline SVG charts, no script.

Pure: query results in, HTML text out. Nothing on the page refers to anything
outside it (no fonts, scripts, styles or images to fetch), so the file opens
offline, from a mail attachment or a USB stick. Every text that comes from the
data (chat titles, names, hashtags, domains, error messages) is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from zoneinfo import ZoneInfo

from scripts.dashboard_charts import (
    CHARTS,
    ChartDataError,
    PageContext,
    QueryResult,
    generic_chart,
    page_order,
    result_title,
)
from scripts.svg_charts import esc

# The page's inputs are defined with the charts that read them; callers import them from here.
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


def _panel(result: QueryResult, context: PageContext) -> str:
    title = result_title(result.name)
    footer = [f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}"]
    if result.data_scanned_bytes is not None:
        footer.append(f"{format_scanned(result.data_scanned_bytes)} scanned")
    footer.append(f"glue_schema/queries/{result.name}.sql")
    head = (
        f'<section class="panel" id="q-{esc(result.name)}" data-query="{esc(result.name)}">'
        f"<h2>{esc(title)}</h2><p class=question>{esc(result.question)}</p>"
    )
    if result.error is not None:
        body = f'<div class="error" role="alert"><strong>This query failed.</strong><pre>{esc(result.error)}</pre></div>'
        return head + body + "</section>"
    builder = CHARTS.get(result.name, (title, generic_chart))[1]
    try:
        chart = builder(result, context)
    except (ChartDataError, TypeError, ValueError) as error:
        body = (
            f'<div class="error" role="alert"><strong>The chart could not be drawn.</strong>'
            f"<pre>{esc(error)}</pre></div>{table_html(result.columns, result.rows)}"
        )
        return head + body + "</section>"
    if not chart:
        chart = table_html(result.columns, result.rows)
    meta = " · ".join(esc(part) for part in footer)
    return head + f"<figure>{chart}</figure><p class=meta>{meta}</p></section>"


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
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(520px, 100%), 1fr));
       gap: 16px; padding: 16px 28px 28px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
         min-width: 0; overflow-x: auto; }
header dd { overflow-wrap: anywhere; }
section.panel[data-query="totals"] { grid-column: 1 / -1; }
section.panel[data-query="totals"] svg.chart { max-width: 720px; margin: 0 auto; }
@media (max-width: 600px) {
  header { padding: 14px 12px 10px; }
  main { gap: 10px; padding: 10px 8px 16px; }
  .panel { padding: 10px 10px; }
  footer { padding: 0 12px 16px; }
}
.panel h2 { margin: 0; font-size: 16px; }
.question { margin: 2px 0 8px; color: var(--muted); }
figure { margin: 0; }
svg.chart { width: 100%; height: auto; display: block; font-size: 11px; }
svg .tick, svg .value, svg .category, svg .legend { fill: #39414e; }
svg .axis-label { fill: var(--muted); font-size: 12px; }
svg .headline { font-size: 15px; font-weight: 600; fill: var(--ink); }
svg .note { font-size: 13px; fill: var(--ink); }
svg .empty { fill: var(--muted); font-size: 14px; }
svg .grid { stroke: #e8ebf0; stroke-width: 1; }
svg .axis { stroke: #8a93a1; stroke-width: 1; }
svg rect.bar:hover, svg rect.cell:hover { opacity: 0.8; }
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
    panels = "".join(_panel(by_name[name], context) for name in page_order(by_name))
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
        f"</dl></header><main>{panels}</main>"
        "<footer>Days, hours and weekdays are in the time zone above. Messages are counted "
        "once each, in their latest version; service messages (joins, leaves, pins) appear "
        "only under message types and joins and leaves.</footer>"
        "</body></html>\n"
    )
