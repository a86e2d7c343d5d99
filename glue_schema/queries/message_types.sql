-- What kinds of messages are posted (text, photo, sticker, ... and service messages)?
SELECT
    message_type,
    count(*) AS messages
FROM {{window_messages_current}} AS messages_current
WHERE {{sent_in_window}}
GROUP BY message_type
ORDER BY messages DESC, message_type
