-- What share of the posts do the most active fifth of the people posting write?
WITH per_poster AS (
    SELECT user_id, count(*) AS posts
    FROM {{window_posts}} AS posts
    WHERE
        {{sent_in_window}} AND {{sender_is_a_user}}
    GROUP BY user_id
),
ranked AS (
    -- The most active fifth: the first ceil(posters / 5) by posts (ties to the lower id).
    SELECT
        posts,
        row_number() OVER (ORDER BY posts DESC, user_id) <= (count(*) OVER () + 4) / 5
            AS top_fifth
    FROM per_poster
)
SELECT
    count(*) AS posters,
    count_if(top_fifth) AS top_fifth_posters,
    sum(posts) AS posts,
    sum(CASE WHEN top_fifth THEN posts ELSE 0 END) AS top_fifth_posts,
    round(100 * CAST(sum(CASE WHEN top_fifth THEN posts ELSE 0 END) AS double) / sum(posts), 2)
        AS top_fifth_pct
FROM ranked
-- No posts, no row (as every other query has no rows).
HAVING count(*) > 0
