-- reactions_unique: one row per reaction change, redelivered copies removed, with
-- canonical_chat_id (chat_migrations). One message_reaction update is a row per
-- reaction added or removed, one message_reaction_count update a row per reaction
-- in the snapshot, so a copy is identified by update_id and the reaction; of the
-- copies (at least once delivery: they differ only by received_at and maybe dt)
-- the first received is kept. Rows imported from an export have no update_id: the
-- message tells them apart (the copies of an update share it).
WITH deliveries AS (
    SELECT
        r.*,
        row_number() OVER (
            PARTITION BY r.update_id, r.chat_id, r.message_id, r.change, r.reaction_type, r.emoji
            ORDER BY r.received_at ASC NULLS LAST, r.dt ASC
        ) AS delivery
    FROM reactions AS r
)
SELECT
    {{view_columns}}
FROM (
    -- The migration lookup after the copies are gone: one row to look up per reaction.
    SELECT
        deliveries.*,
        coalesce(migrations.new_chat_id, deliveries.chat_id) AS canonical_chat_id
    FROM deliveries
    LEFT JOIN chat_migrations AS migrations ON migrations.old_chat_id = deliveries.chat_id
    WHERE deliveries.delivery = 1
) AS delivered
