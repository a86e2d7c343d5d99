-- Who is @mentioned most (case-insensitive, top 15)?
SELECT
    lower(item) AS mention,
    count(*) AS uses
FROM {{window_messages_current}} AS messages_current
CROSS JOIN UNNEST(mentions) AS t (item)
WHERE
    -- The window: the last `days` calendar days in the time zone, today included.
    date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
GROUP BY 1
ORDER BY uses DESC, mention
LIMIT 15
