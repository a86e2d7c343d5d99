-- How many different people post each day, in the last 7 days and in the last 30 days (DAU, WAU, MAU)?
WITH poster_days AS (
    SELECT DISTINCT user_id, date(sent_at AT TIME ZONE {{tz}}) AS day
    FROM {{window_posts}} AS posts
    WHERE
        {{sent_in_window}} AND {{sender_is_a_user}}
),
days AS (
    -- Every day of the window, today first (n days ago), from the first day with a post.
    SELECT n, date_add('day', -n, date(current_timestamp AT TIME ZONE {{tz}})) AS day
    FROM UNNEST(sequence(0, {{days}} - 1)) AS t (n)
)
SELECT
    days.day,
    count(DISTINCT CASE WHEN poster_days.day = days.day THEN poster_days.user_id END) AS daily,
    -- The 7 and 30 days ending that day; unknown (NULL) where they reach before the window.
    CASE
        WHEN days.n <= {{days}} - 7 THEN count(
            DISTINCT CASE
                WHEN poster_days.day > date_add('day', -7, days.day) THEN poster_days.user_id
            END
        )
    END AS weekly,
    CASE
        WHEN days.n <= {{days}} - 30 THEN count(DISTINCT poster_days.user_id)
    END AS monthly
FROM days
LEFT JOIN poster_days
    ON poster_days.day <= days.day AND poster_days.day > date_add('day', -30, days.day)
WHERE days.day >= (SELECT min(day) FROM poster_days)
GROUP BY days.day, days.n
ORDER BY days.day
