-- How many messages does each chat get per day (service messages such as joins excluded)?
SELECT
    date(sent_at AT TIME ZONE {{tz}}) AS day,
    -- One group before and after it became a supergroup is one chat: its newest id,
    -- and the title of its latest message.
    canonical_chat_id AS chat_id,
    max_by(chat_title, sent_at) AS chat_title,
    count(*) AS messages
FROM {{window_posts}} AS posts
WHERE {{sent_in_window}}
GROUP BY 1, 2
ORDER BY day, chat_id
