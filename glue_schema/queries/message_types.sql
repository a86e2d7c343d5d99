-- What kinds of messages are posted (text, photo, sticker, ... and service messages)?
SELECT
    message_type,
    count(*) AS messages
FROM messages_current
WHERE
    -- dt is the UTC arrival date: a day either side of the sent_at window, so that
    -- partition projection reads only the partitions that can hold its messages.
    dt BETWEEN date_format(date_add('day', -{{days}}, date(current_timestamp AT TIME ZONE {{tz}})), '%Y-%m-%d')
        AND date_format(date_add('day', 1, current_date), '%Y-%m-%d')
    -- The window: the last `days` calendar days in the time zone, today included.
    AND date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
GROUP BY message_type
ORDER BY messages DESC, message_type
