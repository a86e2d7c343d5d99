-- How many members join and leave each day, and what is the net change?
SELECT
    date(changed_at AT TIME ZONE {{tz}}) AS day,
    count_if(coalesce(is_member, false)) AS joins,
    count_if(NOT coalesce(is_member, false)) AS leaves,
    sum(CASE WHEN coalesce(is_member, false) THEN 1 ELSE -1 END) AS net
-- chat_member updates where the bot is an admin, else the join/leave service messages;
-- the bot's own joins and leaves (my_chat_member) count too. The member count itself
-- would need getChatMemberCount, which the pipeline does not call.
FROM {{window_member_changes}} AS member_changes
WHERE
    {{changed_in_window}}
    -- Into or out of membership only (left, removed, banned), not promotions or restrictions.
    AND coalesce(is_member, false) <> coalesce(was_member, false)
GROUP BY 1
ORDER BY day
