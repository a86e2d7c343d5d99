-- At which hours of which weekdays are messages posted (ISO weekday, Monday = 1)?
SELECT
    day_of_week(sent_at AT TIME ZONE {{tz}}) AS weekday,
    hour(sent_at AT TIME ZONE {{tz}}) AS hour,
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
    AND message_type NOT IN ('new_chat_members', 'left_chat_member', 'pinned_message')
GROUP BY 1, 2
ORDER BY weekday, hour
