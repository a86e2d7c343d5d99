-- How many different people post messages each day, across the chats?
SELECT
    date(sent_at AT TIME ZONE {{tz}}) AS day,
    count(DISTINCT user_id) AS active_senders
FROM {{window_messages_current}} AS messages_current
WHERE
    -- The window: the last `days` calendar days in the time zone, today included.
    date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
    AND user_id IS NOT NULL
    -- Posts only: service messages (joins, pins, title changes, ...) are events.
    AND NOT coalesce(is_service, false)
    -- Rows shaped before sender_kind kept Telegram's placeholder accounts as users.
    AND user_id NOT IN (1087968824, 136817688, 777000)
GROUP BY 1
ORDER BY day
