-- What share of messages are replies, and how long after the message they answer (median)?
WITH posted AS (
    SELECT chat_id, message_id, sent_at, reply_to_message_id
    FROM {{window_posts}} AS posts
    WHERE {{sent_in_window}}
),
delays AS (
    -- The answered message must be in the lake within the dt range too; replies to
    -- older messages count as replies but have no delay.
    SELECT
        date_diff('second', answered.sent_at, reply.sent_at) AS seconds,
        row_number() OVER (ORDER BY date_diff('second', answered.sent_at, reply.sent_at))
            AS position,
        count(*) OVER () AS total
    FROM posted AS reply
    JOIN {{window_messages_current}} AS answered
        ON answered.chat_id = reply.chat_id
        AND answered.message_id = reply.reply_to_message_id
)
SELECT
    counts.messages,
    counts.replies,
    round(100 * CAST(counts.replies AS double) / nullif(counts.messages, 0), 2) AS reply_pct,
    median.median_seconds_to_reply
FROM (
    SELECT count(*) AS messages, count(reply_to_message_id) AS replies FROM posted
) AS counts
CROSS JOIN (
    -- The exact median (the middle value, or the mean of the middle two).
    SELECT avg(seconds) AS median_seconds_to_reply
    FROM delays
    WHERE position IN ((total + 1) / 2, (total + 2) / 2)
) AS median
