-- messages_unique: one row per update_id (rows imported from an export, which have
-- none: one per chat and message_id).
-- Telegram and Firehose deliver at least once, so a redelivered update lands
-- in `messages` more than once (possibly in another file or dt partition).
-- Keep the copy received first; copies with the same received_at are the same
-- delivery, so any one of them is the same row. Reads messages_all (canonical_chat_id).
WITH copies AS (
    SELECT
        m.*,
        row_number() OVER (
            PARTITION BY
                m.update_id,
                CASE WHEN m.update_id IS NULL THEN m.canonical_chat_id END,
                CASE WHEN m.update_id IS NULL THEN m.message_id END
            ORDER BY m.received_at ASC NULLS LAST, m.dt ASC
        ) AS copy_rank
    FROM messages_all AS m
)
SELECT
    {{view_columns}}
FROM copies
WHERE copy_rank = 1
