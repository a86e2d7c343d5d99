-- messages_all: every row of `messages` (redelivered copies and every version of an
-- edited message included) with canonical_chat_id, the chat's newest id after a
-- group -> supergroup migration (chat_migrations). messages_unique and
-- messages_current deduplicate these rows, each its own way.
-- {{view_columns}} is every view's column list, rendered by glue_schema/views.py from
-- glue_schema/tables.py: the messages columns, canonical_chat_id, then dt.
SELECT
    {{view_columns}}
FROM (
    SELECT
        m.*,
        coalesce(migrations.new_chat_id, m.chat_id) AS canonical_chat_id
    FROM messages AS m
    LEFT JOIN chat_migrations AS migrations ON migrations.old_chat_id = m.chat_id
) AS linked
