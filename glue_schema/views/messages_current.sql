-- messages_current: the latest version of each message, edits applied.
-- A message is identified by chat_id + message_id; an edit arrives as a new
-- update (edited_message / edited_channel_post) carrying the whole message
-- with edit_date. The version with the greatest coalesce(edited_at, sent_at)
-- wins; two versions of the same second go to the later update_id, and
-- redelivered copies of one update (same update_id) to the first received.
-- canonical_chat_id follows group -> supergroup migrations (see the join below).
SELECT
    update_id,
    update_type,
    message_id,
    chat_id,
    chat_type,
    chat_title,
    message_thread_id,
    is_topic_message,
    user_id,
    user_is_bot,
    user_first_name,
    user_username,
    user_language_code,
    sender_chat_id,
    sender_chat_title,
    sender_chat_type,
    sender_kind,
    via_bot_id,
    author_signature,
    is_automatic_forward,
    sent_at,
    edited_at,
    message_type,
    is_service,
    migrate_to_chat_id,
    migrate_from_chat_id,
    text,
    text_length,
    hashtags,
    mentions,
    urls,
    mentioned_user_ids,
    reply_to_message_id,
    forward_origin_type,
    media_group_id,
    new_chat_member_ids,
    left_chat_member_id,
    received_at,
    canonical_chat_id,
    dt
FROM (
    SELECT
        m.update_id,
        m.update_type,
        m.message_id,
        m.chat_id,
        m.chat_type,
        m.chat_title,
        m.message_thread_id,
        m.is_topic_message,
        m.user_id,
        m.user_is_bot,
        m.user_first_name,
        m.user_username,
        m.user_language_code,
        m.sender_chat_id,
        m.sender_chat_title,
        m.sender_chat_type,
        m.sender_kind,
        m.via_bot_id,
        m.author_signature,
        m.is_automatic_forward,
        m.sent_at,
        m.edited_at,
        m.message_type,
        m.is_service,
        m.migrate_to_chat_id,
        m.migrate_from_chat_id,
        m.text,
        m.text_length,
        m.hashtags,
        m.mentions,
        m.urls,
        m.mentioned_user_ids,
        m.reply_to_message_id,
        m.forward_origin_type,
        m.media_group_id,
        m.new_chat_member_ids,
        m.left_chat_member_id,
        m.received_at,
        -- canonical_chat_id: the chat's newest id. A basic group that became a supergroup
        -- (migrate_to_chat_id in the group, migrate_from_chat_id in the supergroup; either
        -- alone is enough) is one chat before and after; Telegram migrates a chat once.
        coalesce(migrations.new_chat_id, m.chat_id) AS canonical_chat_id,
        m.dt,
        row_number() OVER (
            PARTITION BY m.chat_id, m.message_id
            ORDER BY
                coalesce(m.edited_at, m.sent_at) DESC NULLS LAST,
                m.update_id DESC NULLS LAST,
                m.received_at ASC NULLS LAST,
                m.dt ASC
        ) AS version_rank
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
) AS versions
WHERE version_rank = 1
