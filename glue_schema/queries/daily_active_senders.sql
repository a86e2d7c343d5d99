-- How many different people post messages each day, across the chats?
SELECT
    date(sent_at AT TIME ZONE {{tz}}) AS day,
    count(DISTINCT user_id) AS active_senders
FROM {{window_posts}} AS posts
WHERE
    {{sent_in_window}}
    AND user_id IS NOT NULL
    -- Rows shaped before sender_kind kept Telegram's placeholder accounts as users.
    AND user_id NOT IN (1087968824, 136817688, 777000)
GROUP BY 1
ORDER BY day
