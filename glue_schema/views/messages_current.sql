-- messages_current: the latest version of each message, edits applied.
-- A message is identified by chat_id + message_id; an edit arrives as a new
-- update (edited_message / edited_channel_post) carrying the whole message
-- with edit_date. The version with the greatest coalesce(edited_at, sent_at)
-- wins; two versions of the same second go to the later update_id, and
-- redelivered copies of one update (same update_id) to the first received.
-- Reads messages_all (canonical_chat_id), not messages_unique: two different
-- updates that share an update_id are still two messages here.
WITH versions AS (
    SELECT
        m.*,
        row_number() OVER (
            PARTITION BY m.chat_id, m.message_id
            ORDER BY
                coalesce(m.edited_at, m.sent_at) DESC NULLS LAST,
                m.update_id DESC NULLS LAST,
                m.received_at ASC NULLS LAST,
                m.dt ASC
        ) AS version_rank
    FROM messages_all AS m
)
SELECT
    {{view_columns}}
FROM versions
WHERE version_rank = 1
