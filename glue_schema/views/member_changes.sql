-- member_changes: each membership change once, from one source per chat.
-- member_events has two sources: chat_member updates (other members; only while the
-- bot is an admin with chat_member in allowed_updates) and the new_chat_members /
-- left_chat_member service messages (update_type 'message'; any bot in the group).
-- Where a chat sends both, each join or leave comes twice. The rule, per chat_id:
-- - chat_member and my_chat_member rows are always kept (my_chat_member is the
--   bot's own status, which only it reports);
-- - a service-message row is kept when its chat has no chat_member row, or when it
--   comes before the chat's first one (a bot promoted to admin later), and never for
--   the bot itself (a member with my_chat_member rows): that change is its own row.
-- "No chat_member row" and "first" are decided over the rows read: a dashboard's window.
WITH sourced AS (
    SELECT
        e.*,
        min(CASE WHEN e.update_type = 'chat_member' THEN e.changed_at END)
            OVER (PARTITION BY e.chat_id) AS first_chat_member_at
    FROM member_events_unique AS e
)
SELECT
    {{view_columns}}
FROM sourced
WHERE
    update_type IN ('chat_member', 'my_chat_member')
    OR (
        coalesce(changed_at < first_chat_member_at, true)
        AND (
            user_id IS NULL
            OR user_id NOT IN (
                SELECT bot.user_id
                FROM member_events_unique AS bot
                WHERE bot.update_type = 'my_chat_member' AND bot.user_id IS NOT NULL
            )
        )
    )
