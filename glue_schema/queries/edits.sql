-- What share of messages gets edited, and how long after sending is the first edit (median)?
WITH edited AS (
    -- One row per message: every version carries the original sent_at; the earliest
    -- edited_at is the first edit.
    SELECT
        chat_id,
        message_id,
        min(sent_at) AS sent_at,
        min(edited_at) AS first_edited_at
    FROM {{window_messages_unique}} AS messages_unique
    WHERE
        {{sent_in_window}}
        -- Posts only: service messages (joins, pins, title changes, ...) are events.
        AND NOT coalesce(is_service, false)
    GROUP BY chat_id, message_id
),
delays AS (
    SELECT
        date_diff('second', sent_at, first_edited_at) AS seconds,
        row_number() OVER (ORDER BY date_diff('second', sent_at, first_edited_at)) AS position,
        count(*) OVER () AS total
    FROM edited
    WHERE first_edited_at IS NOT NULL
)
SELECT
    counts.messages,
    counts.edited_messages,
    round(100 * CAST(counts.edited_messages AS double) / nullif(counts.messages, 0), 2)
        AS edited_pct,
    median.median_seconds_to_edit
FROM (
    SELECT count(*) AS messages, count(first_edited_at) AS edited_messages FROM edited
) AS counts
CROSS JOIN (
    -- The exact median (the middle value, or the mean of the middle two): both engines'
    -- approx_percentile are approximate, and differently so.
    SELECT avg(seconds) AS median_seconds_to_edit
    FROM delays
    WHERE position IN ((total + 1) / 2, (total + 2) / 2)
) AS median
