-- chat_migrations: one row per basic group that became a supergroup: old_chat_id, the
-- group's id, and new_chat_id, the supergroup's. Telegram migrates a chat once and says
-- so on both sides (migrate_to_chat_id in the group, migrate_from_chat_id in the
-- supergroup); either message alone is enough. Every view's canonical_chat_id is
-- coalesce(new_chat_id, chat_id) from here: one group is one chat before and after.
-- Reads every partition; the dashboards' windowed form reads the window's (views.py).
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
