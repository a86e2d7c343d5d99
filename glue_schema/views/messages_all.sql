-- messages_all: every row of `messages` (redelivered copies and every version of an
-- edited message included) with canonical_chat_id, the chat's newest id after a
-- group -> supergroup migration (chat_migrations). messages_unique and
-- messages_current deduplicate these rows, each its own way.
-- Rows imported from a Telegram Desktop export (no update_id; docs/import.md) stand for
-- messages the bot did not capture: an export row is left out when a live row of the
-- same message exists. Supergroups and channels share message ids among all members:
-- same canonical chat and message_id. Basic groups (chat_type 'group') number messages
-- per account: same canonical chat, sent_at (to the second), sender and message_type.
-- {{view_columns}} is every view's column list, rendered by glue_schema/views.py from
-- glue_schema/tables.py: the messages columns, canonical_chat_id, then dt.
SELECT
    {{view_columns}}
FROM (
    SELECT
        m.*,
        coalesce(migrations.new_chat_id, m.chat_id) AS canonical_chat_id,
        count(m.update_id) OVER (
            PARTITION BY
                coalesce(migrations.new_chat_id, m.chat_id),
                CASE WHEN m.chat_type = 'group' THEN NULL ELSE m.message_id END,
                CASE WHEN m.chat_type = 'group' THEN m.sent_at END,
                CASE WHEN m.chat_type = 'group' THEN coalesce(m.user_id, m.sender_chat_id) END,
                CASE WHEN m.chat_type = 'group' THEN m.message_type END
        ) AS live_copies
    FROM messages AS m
    LEFT JOIN chat_migrations AS migrations ON migrations.old_chat_id = m.chat_id
) AS linked
WHERE linked.update_id IS NOT NULL OR linked.live_copies = 0
