-- How many reactions are added and removed each day?
SELECT
    date(reacted_at AT TIME ZONE {{tz}}) AS day,
    count_if(change = 'added') AS added,
    count_if(change = 'removed') AS removed
-- message_reaction updates (users, and chats reacting anonymously): one row per reaction
-- added or removed. Anonymous totals (message_reaction_count) have no per-day changes.
FROM {{window_reactions_unique}} AS reactions_unique
WHERE {{reacted_in_window}} AND change IN ('added', 'removed')
GROUP BY 1
ORDER BY day
