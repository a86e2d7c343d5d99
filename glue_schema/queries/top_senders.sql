-- Who posts the most messages (top 10 senders)?
SELECT
    user_id,
    -- A user can rename: any one of the names seen in the window, the same on both engines.
    max(user_first_name) AS first_name,
    max(user_username) AS username,
    count(*) AS messages
FROM {{window_posts}} AS posts
WHERE {{sent_in_window}} AND {{sender_is_a_user}}
GROUP BY user_id
ORDER BY messages DESC, user_id
LIMIT 10
