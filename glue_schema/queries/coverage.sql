-- When was the bot an admin, only a member, or not in the chat (from its my_chat_member updates)?
WITH changes AS (
    SELECT
        chat_id,
        max_by(chat_title, changed_at) OVER (PARTITION BY chat_id) AS chat_title,
        changed_at,
        -- What the bot could see: an admin gets chat_member and reactions (if asked for
        -- in allowed_updates), a member messages only, a non-member nothing.
        CASE
            WHEN old_status IN ('creator', 'administrator') THEN 'admin'
            WHEN was_member THEN 'member'
            ELSE 'not a member'
        END AS coverage_before,
        old_status,
        CASE
            WHEN new_status IN ('creator', 'administrator') THEN 'admin'
            WHEN is_member THEN 'member'
            ELSE 'not a member'
        END AS coverage_after,
        new_status,
        row_number() OVER (PARTITION BY chat_id ORDER BY changed_at, update_id) AS position,
        lead(changed_at) OVER (PARTITION BY chat_id ORDER BY changed_at, update_id) AS next_at
    FROM {{window_member_events_unique}} AS member_events_unique
    WHERE {{changed_in_window}} AND update_type = 'my_chat_member'
),
periods AS (
    -- Before the first change in the window: its old status (the period starts before).
    SELECT chat_id, chat_title, coverage_before AS coverage, old_status AS telegram_status,
        CAST(NULL AS timestamp) AS started_at, changed_at AS ended_at
    FROM changes
    WHERE position = 1
    UNION ALL
    -- From each change to the next (the last one lasts until now).
    SELECT chat_id, chat_title, coverage_after, new_status, changed_at, next_at
    FROM changes
)
SELECT
    chat_id,
    chat_title,
    coverage,
    telegram_status,
    -- Wall times in the time zone; NULL: before the window, or until now.
    CAST(started_at AT TIME ZONE {{tz}} AS timestamp) AS period_start,
    CAST(ended_at AT TIME ZONE {{tz}} AS timestamp) AS period_end
FROM periods
ORDER BY chat_id, started_at NULLS FIRST
