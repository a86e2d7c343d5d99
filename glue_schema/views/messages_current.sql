-- messages_current: the latest version of each message, edits applied.
-- A message is identified by chat_id + message_id; an edit arrives as a new
-- update (edited_message / edited_channel_post) carrying the whole message
-- with edit_date. The version with the greatest coalesce(edited_at, sent_at)
-- wins; two versions of the same second go to the later update_id, and
-- redelivered copies of one update (same update_id) to the first received.
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
            PARTITION BY m.chat_id, m.message_id
            ORDER BY
                coalesce(m.edited_at, m.sent_at) DESC NULLS LAST,
                m.update_id DESC NULLS LAST,
                m.received_at ASC NULLS LAST,
                m.dt ASC
        ) AS version_rank
    FROM messages AS m
) AS versions
WHERE version_rank = 1
