-- Which hashtags are used most (case-insensitive, top 15)?
SELECT
    lower(item) AS hashtag,
    count(*) AS uses
FROM {{window_messages_current}} AS messages_current
CROSS JOIN UNNEST(hashtags) AS t (item)
WHERE
    -- The window: the last `days` calendar days in the time zone, today included.
    date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
GROUP BY 1
ORDER BY uses DESC, hashtag
LIMIT 15
