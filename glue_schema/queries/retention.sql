-- Of the people who joined in a week, what share is still a member, and what share posted, 1, 4 and 12 weeks on?
WITH joins AS (
    -- A person's first join to a chat in the window (bots left out): their cohort.
    SELECT canonical_chat_id AS chat_id, user_id, min(changed_at) AS joined_at
    FROM {{window_member_changes}} AS member_changes
    WHERE
        {{changed_in_window}}
        AND event = 'joined'
        AND user_id IS NOT NULL
        AND NOT coalesce(user_is_bot, false)
    GROUP BY 1, 2
),
marks AS (
    -- N weeks after the join; a mark still in the future is not counted yet.
    SELECT
        joins.chat_id,
        joins.user_id,
        joins.joined_at,
        t.weeks,
        date_add('day', 7 * t.weeks, joins.joined_at) AS mark_at
    FROM joins
    CROSS JOIN UNNEST(ARRAY[1, 4, 12]) AS t (weeks)
),
states AS (
    -- Membership at the mark: the person's latest change in that chat at or before it.
    SELECT
        marks.chat_id,
        marks.user_id,
        marks.weeks,
        changes.is_member,
        row_number() OVER (
            PARTITION BY marks.chat_id, marks.user_id, marks.weeks
            ORDER BY changes.changed_at DESC, changes.update_id DESC
        ) AS latest
    FROM marks
    JOIN {{window_member_changes}} AS changes
        ON changes.canonical_chat_id = marks.chat_id
        AND changes.user_id = marks.user_id
        AND changes.changed_at BETWEEN marks.joined_at AND marks.mark_at
    WHERE {{changed_in_window}}
),
posting AS (
    -- Posted in week N: the seven days before the mark.
    SELECT DISTINCT marks.chat_id, marks.user_id, marks.weeks
    FROM marks
    JOIN {{window_posts}} AS posts
        ON posts.canonical_chat_id = marks.chat_id
        AND posts.user_id = marks.user_id
        AND posts.sent_at >= date_add('day', -7, marks.mark_at)
        AND posts.sent_at < marks.mark_at
    WHERE {{sent_in_window}}
),
outcomes AS (
    SELECT
        marks.joined_at,
        marks.weeks,
        marks.mark_at <= CAST(current_timestamp AT TIME ZONE 'UTC' AS timestamp) AS reached,
        coalesce(states.is_member, false) AS member,
        posting.user_id IS NOT NULL AS posted
    FROM marks
    LEFT JOIN states
        ON states.chat_id = marks.chat_id
        AND states.user_id = marks.user_id
        AND states.weeks = marks.weeks
        AND states.latest = 1
    LEFT JOIN posting
        ON posting.chat_id = marks.chat_id
        AND posting.user_id = marks.user_id
        AND posting.weeks = marks.weeks
)
SELECT
    -- The Monday of the join's week, in the time zone.
    date(date_trunc('week', joined_at AT TIME ZONE {{tz}})) AS cohort_week,
    weeks,
    count(*) AS joined,
    count_if(reached) AS reached,
    round(100 * CAST(count_if(reached AND member) AS double) / nullif(count_if(reached), 0), 1)
        AS still_member_pct,
    round(100 * CAST(count_if(reached AND posted) AS double) / nullif(count_if(reached), 0), 1)
        AS posted_pct
FROM outcomes
GROUP BY 1, 2
ORDER BY cohort_week, weeks
