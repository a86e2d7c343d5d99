-- At which hours of which weekdays are messages posted (ISO weekday, Monday = 1)?
SELECT
    day_of_week(sent_at AT TIME ZONE {{tz}}) AS weekday,
    hour(sent_at AT TIME ZONE {{tz}}) AS hour,
    count(*) AS messages
FROM {{window_posts}} AS posts
WHERE {{sent_in_window}}
GROUP BY 1, 2
ORDER BY weekday, hour
