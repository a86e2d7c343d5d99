-- member_events_unique: one row per membership change, redelivered copies removed,
-- with canonical_chat_id (chat_migrations). An update can hold several changes (a
-- new_chat_members service message adds several members, one row each), so a copy is
-- identified by update_id and the member: Telegram and Firehose deliver at least once,
-- and a copy differs from the first delivery only by received_at (and maybe its dt
-- partition). The copy received first is kept. Rows imported from an export have no
-- update_id: its time and event tell them apart (the copies of an update share both).
WITH copies AS (
    SELECT
        e.*,
        coalesce(migrations.new_chat_id, e.chat_id) AS canonical_chat_id,
        row_number() OVER (
            PARTITION BY e.update_id, e.chat_id, e.user_id, e.changed_at, e.event
            ORDER BY e.received_at ASC NULLS LAST, e.dt ASC
        ) AS copy_rank
    FROM member_events AS e
    LEFT JOIN chat_migrations AS migrations ON migrations.old_chat_id = e.chat_id
)
SELECT
    {{view_columns}}
FROM copies
WHERE copy_rank = 1
