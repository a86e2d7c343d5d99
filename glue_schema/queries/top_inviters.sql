-- Who brings in new members: who added them, or created the invite link they joined by (top 15)?
WITH invitations AS (
    -- A join is added by a member or made through a link, never both.
    SELECT
        coalesce(added_by_user_id, invite_link_creator_id) AS user_id,
        CASE WHEN added_by_user_id IS NOT NULL THEN 'added' ELSE 'invite link' END AS how,
        CASE WHEN added_by_user_id IS NULL THEN invite_link_name END AS invite_link_name
    FROM {{window_member_changes}} AS member_changes
    WHERE
        {{changed_in_window}}
        AND event = 'joined'
        AND coalesce(added_by_user_id, invite_link_creator_id) IS NOT NULL
),
names AS (
    -- An inviter's name, where they posted or their own membership changed in the window.
    SELECT user_id, max(user_first_name) AS first_name, max(user_username) AS username
    FROM (
        SELECT user_id, user_first_name, user_username
        FROM {{window_posts}} AS posts
        WHERE {{sent_in_window}} AND user_id IS NOT NULL
        UNION ALL
        SELECT user_id, user_first_name, user_username
        FROM {{window_member_changes}} AS member_changes
        WHERE {{changed_in_window}} AND user_id IS NOT NULL
    ) AS seen
    GROUP BY user_id
)
SELECT
    invitations.user_id,
    names.first_name,
    names.username,
    invitations.how,
    invitations.invite_link_name,
    count(*) AS joins
FROM invitations
LEFT JOIN names ON names.user_id = invitations.user_id
GROUP BY 1, 2, 3, 4, 5
ORDER BY joins DESC, user_id, how, invite_link_name
LIMIT 15
