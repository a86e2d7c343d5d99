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
    FROM {{window_messages_current}} AS messages_current
    CROSS JOIN UNNEST(urls) AS t (url)
    WHERE {{sent_in_window}}
) AS links
WHERE domain IS NOT NULL AND domain <> ''
GROUP BY domain
ORDER BY links DESC, domain
LIMIT 15
