-- reactions_current: the reactions messages hold after the last change read.
-- - message_reaction (a user, or a chat reacting anonymously, changed their reactions):
--   for each message, reactor and reaction, the latest row (reacted_at, then
--   update_id); the reaction stands if that row added it. reaction_count is NULL: one.
-- - message_reaction_count (anonymous totals, channels): the rows of the message's
--   latest snapshot with a count above 0; reaction_count is that total.
-- - a Telegram Desktop export's counts (source 'export', no update_id): the message's
--   reactions when exported, used only for messages with no live reaction row.
-- So sum(coalesce(reaction_count, 1)) counts the reactions standing.
WITH ranked AS (
    SELECT
        r.*,
        row_number() OVER (
            PARTITION BY
                r.update_type, r.chat_id, r.message_id, r.user_id, r.actor_chat_id,
                r.reaction_type, r.emoji
            ORDER BY r.reacted_at DESC, r.update_id DESC
        ) AS change_rank,
        first_value(r.update_id) OVER (
            PARTITION BY r.update_type, r.chat_id, r.message_id
            ORDER BY r.reacted_at DESC, r.update_id DESC
        ) AS latest_update_id,
        count(r.update_id) OVER (PARTITION BY r.chat_id, r.message_id) AS live_rows
    FROM reactions_unique AS r
)
SELECT
    {{view_columns}}
FROM ranked
WHERE
    (change = 'added' AND change_rank = 1)
    OR (change = 'count' AND update_id = latest_update_id AND reaction_count > 0)
    -- An export's snapshot (no update_id) counts only for messages with no live row.
    OR (change = 'count' AND update_id IS NULL AND live_rows = 0 AND reaction_count > 0)
