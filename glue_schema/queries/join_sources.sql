-- How do new members join (invite link, join request, chat folder, added by a member, directly)?
SELECT
    -- chat_member updates tell every source; a join seen only as a service message is
    -- "added" (by another member) or "direct" (a join by link looks direct there).
    coalesce(join_source, 'unknown') AS join_source,
    count(*) AS joins
FROM {{window_member_changes}} AS member_changes
WHERE {{changed_in_window}} AND event = 'joined'
GROUP BY 1
ORDER BY joins DESC, join_source
