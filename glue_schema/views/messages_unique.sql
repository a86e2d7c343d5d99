-- messages_unique: one row per update_id.
-- Telegram and Firehose deliver at least once, so a redelivered update lands
-- in `messages` more than once (possibly in another file or dt partition).
-- Keep the copy received first; copies with the same received_at are the same
-- delivery, so any one of them is the same row.
SELECT
    update_id,
    update_type,
    message_id,
    chat_id,
    chat_type,
    chat_title,
    message_thread_id,
    user_id,
    user_is_bot,
    user_first_name,
    user_username,
    user_language_code,
    sender_chat_id,
    sent_at,
    edited_at,
    message_type,
    text,
    text_length,
    hashtags,
    mentions,
    urls,
    reply_to_message_id,
    forward_origin_type,
    media_group_id,
    new_chat_member_ids,
    left_chat_member_id,
    received_at,
    dt
FROM (
    SELECT
        m.*,
        row_number() OVER (
            PARTITION BY m.update_id
            ORDER BY m.received_at ASC NULLS LAST, m.dt ASC
        ) AS copy_rank
    FROM messages AS m
) AS copies
WHERE copy_rank = 1
