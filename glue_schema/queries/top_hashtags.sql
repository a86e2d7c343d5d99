-- Which hashtags are used most (case-insensitive, top 15)?
SELECT
    lower(item) AS hashtag,
    count(*) AS uses
FROM {{window_messages_current}} AS messages_current
CROSS JOIN UNNEST(hashtags) AS t (item)
WHERE {{sent_in_window}}
GROUP BY 1
ORDER BY uses DESC, hashtag
LIMIT 15
