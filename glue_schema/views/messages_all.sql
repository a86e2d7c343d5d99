-- messages_all: every row of `messages` (redelivered copies and every version of an
-- edited message included) with canonical_chat_id, the chat's newest id. A basic
-- group that became a supergroup (migrate_to_chat_id in the group,
-- migrate_from_chat_id in the supergroup; either alone is enough) is one chat before
-- and after; Telegram migrates a chat once. messages_unique and messages_current
-- deduplicate these rows, each its own way.
-- {{view_columns}} is every view's column list, rendered by glue_schema/views.py from
-- glue_schema/tables.py: the messages columns, canonical_chat_id, then dt.
SELECT
    {{view_columns}}
FROM (
    SELECT
        m.*,
        coalesce(migrations.new_chat_id, m.chat_id) AS canonical_chat_id
    FROM messages AS m
    LEFT JOIN (
        -- Every partition here; the dashboards' windowed form reads the window's (views.py).
        SELECT old_chat_id, max(new_chat_id) AS new_chat_id
        FROM (
            SELECT chat_id AS old_chat_id, migrate_to_chat_id AS new_chat_id
            FROM messages
            WHERE migrate_to_chat_id IS NOT NULL
            UNION ALL
            SELECT migrate_from_chat_id AS old_chat_id, chat_id AS new_chat_id
            FROM messages
            WHERE migrate_from_chat_id IS NOT NULL
        ) AS links
        GROUP BY old_chat_id
    ) AS migrations ON migrations.old_chat_id = m.chat_id
) AS linked
