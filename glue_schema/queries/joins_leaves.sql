-- How many members join and leave per day, across the chats?
SELECT
    date(sent_at AT TIME ZONE {{tz}}) AS day,
    -- One service message can announce several members added at once.
    sum(CASE WHEN message_type = 'new_chat_members' THEN cardinality(new_chat_member_ids) ELSE 0 END)
        AS joins,
    count_if(message_type = 'left_chat_member') AS leaves
FROM {{window_messages_current}} AS messages_current
WHERE
    {{sent_in_window}}
    AND message_type IN ('new_chat_members', 'left_chat_member')
GROUP BY 1
ORDER BY day
