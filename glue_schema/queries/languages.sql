-- Which languages do the people who post use (their Telegram app's language)?
SELECT
    coalesce(user_language_code, 'unknown') AS language,
    count(DISTINCT user_id) AS senders
FROM {{window_posts}} AS posts
WHERE {{sent_in_window}} AND user_id IS NOT NULL
GROUP BY 1
ORDER BY senders DESC, language
LIMIT 15
