-- Do the people who react also post: how many only post, only react, or do both?
WITH posters AS (
    SELECT DISTINCT user_id
    FROM {{window_posts}} AS posts
    WHERE {{sent_in_window}} AND {{sender_is_a_user}}
),
reactors AS (
    -- People who added a reaction (anonymous reactions name no one).
    SELECT DISTINCT user_id
    FROM {{window_reactions_unique}} AS reactions_unique
    WHERE {{reacted_in_window}} AND change = 'added' AND user_id IS NOT NULL
)
SELECT
    CASE
        WHEN reactors.user_id IS NULL THEN 'posted only'
        WHEN posters.user_id IS NULL THEN 'reacted only'
        ELSE 'posted and reacted'
    END AS activity,
    count(*) AS people
FROM posters
FULL OUTER JOIN reactors ON reactors.user_id = posters.user_id
GROUP BY 1
ORDER BY people DESC, activity
