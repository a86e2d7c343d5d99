-- Which languages do the people who post use (their Telegram app's language)?
SELECT
    coalesce(user_language_code, 'unknown') AS language,
    count(DISTINCT user_id) AS senders
FROM {{window_messages_current}} AS messages_current
WHERE
    -- The window: the last `days` calendar days in the time zone, today included.
    date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
    AND user_id IS NOT NULL
    -- Posts only: service messages (joins, pins, title changes, ...) are events.
    AND NOT coalesce(is_service, false)
GROUP BY 1
ORDER BY senders DESC, language
LIMIT 15
