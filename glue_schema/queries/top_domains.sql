-- Which web sites do shared links point to (host without www., top 15)?
SELECT
    domain,
    count(*) AS links
FROM (
    SELECT
        regexp_replace(
            lower(
                url_extract_host(
                    -- Telegram recognises links written without a scheme (loja.example.com/x);
                    -- url_extract_host needs one.
                    CASE
                        WHEN regexp_like(url, '^[A-Za-z][A-Za-z0-9+.-]*://') THEN url
                        ELSE 'http://' || url
                    END
                )
            ),
            '^www\.',
            ''
        ) AS domain
    FROM messages_current
    CROSS JOIN UNNEST(urls) AS t (url)
    WHERE
        -- dt is the UTC arrival date: a day either side of the sent_at window, so that
        -- partition projection reads only the partitions that can hold its messages.
        dt BETWEEN date_format(date_add('day', -{{days}}, date(current_timestamp AT TIME ZONE {{tz}})), '%Y-%m-%d')
            AND date_format(date_add('day', 1, current_date), '%Y-%m-%d')
        -- The window: the last `days` calendar days in the time zone, today included.
        AND date(sent_at AT TIME ZONE {{tz}})
            >= date_add('day', 1 - {{days}}, date(current_timestamp AT TIME ZONE {{tz}}))
) AS links
WHERE domain IS NOT NULL AND domain <> ''
GROUP BY domain
ORDER BY links DESC, domain
LIMIT 15
