-- posts: what people posted, the messages the dashboards count: the latest version
-- of each message (messages_current) that is not a service message (joins, leaves,
-- pins, title changes, migrations, ... are events, not posts).
SELECT
    {{view_columns}}
FROM messages_current
WHERE NOT coalesce(is_service, false)
