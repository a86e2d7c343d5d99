-- Which messages hold the most reactions given in the window (top 10, with their t.me link)?
WITH reacted AS (
    SELECT
        chat_id,
        message_id,
        max_by(chat_title, reacted_at) AS chat_title,
        max_by(chat_type, reacted_at) AS chat_type,
        max_by(chat_username, reacted_at) AS chat_username,
        sum(coalesce(reaction_count, 1)) AS reactions
    FROM {{window_reactions_current}} AS reactions_current
    WHERE {{reacted_in_window}}
    GROUP BY chat_id, message_id
),
posted AS (
    -- The message's text, when it was sent in the window too.
    SELECT chat_id, message_id, text
    FROM {{window_messages_current}} AS messages_current
    WHERE {{sent_in_window}}
)
SELECT
    reacted.chat_id,
    reacted.chat_title,
    reacted.message_id,
    substr(posted.text, 1, 80) AS text_preview,
    reacted.reactions,
    -- Public chats by username; other supergroups and channels (-100XXXX) as t.me/c/XXXX,
    -- for members only; basic groups have no message links.
    CASE
        WHEN reacted.chat_username IS NOT NULL
            THEN 'https://t.me/' || reacted.chat_username || '/' || CAST(reacted.message_id AS varchar)
        WHEN reacted.chat_type IN ('supergroup', 'channel') AND reacted.chat_id < -1000000000000
            THEN 'https://t.me/c/' || CAST(-1000000000000 - reacted.chat_id AS varchar)
                || '/' || CAST(reacted.message_id AS varchar)
    END AS link
FROM reacted
LEFT JOIN posted ON posted.chat_id = reacted.chat_id AND posted.message_id = reacted.message_id
ORDER BY reactions DESC, chat_id, message_id
LIMIT 10
