-- Which reactions do messages hold most (reactions given in the window and not taken back, top 15)?
SELECT
    reaction_type,
    -- The emoji; a custom emoji's id; NULL for paid (Telegram Stars) reactions.
    emoji,
    -- A user's reaction is one; an anonymous snapshot row holds its total.
    sum(coalesce(reaction_count, 1)) AS reactions
FROM {{window_reactions_current}} AS reactions_current
WHERE {{reacted_in_window}}
GROUP BY 1, 2
ORDER BY reactions DESC, reaction_type, emoji
LIMIT 15
