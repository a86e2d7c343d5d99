-- Who is @mentioned most (case-insensitive, top 15)?
SELECT
    lower(item) AS mention,
    count(*) AS uses
FROM {{window_messages_current}} AS messages_current
CROSS JOIN UNNEST(mentions) AS t (item)
WHERE {{sent_in_window}}
GROUP BY 1
ORDER BY uses DESC, mention
LIMIT 15
