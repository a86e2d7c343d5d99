-- At which hours of which weekdays are messages posted (ISO weekday, Monday = 1)?
SELECT
    day_of_week(sent_at AT TIME ZONE {{tz}}) AS weekday,
    hour(sent_at AT TIME ZONE {{tz}}) AS hour,
    count(*) AS messages
FROM {{window_messages_current}} AS messages_current
WHERE
    -- The window: the last `days` calendar days in the time zone, today included.
    date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
    -- Posts only: service messages (joins, pins, title changes, ...) are events.
    AND NOT coalesce(is_service, false)
GROUP BY 1, 2
ORDER BY weekday, hour
