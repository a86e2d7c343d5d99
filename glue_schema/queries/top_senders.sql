-- Who posts the most messages (top 10 senders)?
SELECT
    user_id,
    -- A user can rename: any one of the names seen in the window, the same on both engines.
    max(user_first_name) AS first_name,
    max(user_username) AS username,
    count(*) AS messages
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
GROUP BY user_id
ORDER BY messages DESC, user_id
LIMIT 10
