-- What kinds of messages are posted (text, photo, sticker, ... and service messages)?
SELECT
    message_type,
    count(*) AS messages
FROM {{window_messages_current}} AS messages_current
WHERE
    -- The window: the last `days` calendar days in the time zone, today included.
    date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
GROUP BY message_type
ORDER BY messages DESC, message_type
