-- At a glance: how many posts, people posting, members joined and members left?
SELECT
    count(CASE WHEN NOT coalesce(is_service, false) THEN 1 END) AS messages,
    count(DISTINCT CASE WHEN NOT coalesce(is_service, false) THEN user_id END) AS active_senders,
    -- One service message can announce several members added at once.
    coalesce(
        sum(
            CASE
                WHEN message_type = 'new_chat_members' THEN cardinality(new_chat_member_ids)
                ELSE 0
            END
        ),
        0
    ) AS joins,
    count(CASE WHEN message_type = 'left_chat_member' THEN 1 END) AS leaves
FROM {{window_messages_current}} AS messages_current
WHERE {{sent_in_window}}
-- An empty window has no totals row (as every other query has no rows).
HAVING count(*) > 0
