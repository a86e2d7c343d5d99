-- How many messages does each chat get per day (service messages such as joins excluded)?
SELECT
    date(sent_at AT TIME ZONE {{tz}}) AS day,
    chat_id,
    max(chat_title) AS chat_title,
    count(*) AS messages
FROM {{window_messages_current}} AS messages_current
WHERE
    -- The window: the last `days` calendar days in the time zone, today included.
    date(sent_at AT TIME ZONE {{tz}})
        >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
    AND message_type NOT IN ('new_chat_members', 'left_chat_member', 'pinned_message')
GROUP BY 1, 2
ORDER BY day, chat_id
