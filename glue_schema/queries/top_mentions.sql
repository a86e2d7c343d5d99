-- Who is @mentioned most (case-insensitive, top 15)?
SELECT
    lower(item) AS mention,
    count(*) AS uses
FROM messages_current
CROSS JOIN UNNEST(mentions) AS t (item)
WHERE
    -- dt is the UTC arrival date: a day either side of the sent_at window, so that
    -- partition projection reads only the partitions that can hold its messages.
    dt BETWEEN date_format(date_add('day', -{{days}}, date(current_timestamp AT TIME ZONE {{tz}})), '%Y-%m-%d')
        AND date_format(date_add('day', 1, current_date), '%Y-%m-%d')
    -- The window: the last `days` calendar days in the time zone, today included.
    AND date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
GROUP BY 1
ORDER BY uses DESC, mention
LIMIT 15
