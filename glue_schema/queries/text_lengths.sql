-- How long are message texts and captions (characters, in length buckets)?
SELECT
    bucket,
    CASE bucket
        WHEN 1 THEN '1-20'
        WHEN 2 THEN '21-50'
        WHEN 3 THEN '51-100'
        WHEN 4 THEN '101-200'
        WHEN 5 THEN '201-500'
        WHEN 6 THEN '501-1000'
        ELSE '1001+'
    END AS length_range,
    count(*) AS messages
FROM (
    SELECT
        CASE
            WHEN text_length <= 20 THEN 1
            WHEN text_length <= 50 THEN 2
            WHEN text_length <= 100 THEN 3
            WHEN text_length <= 200 THEN 4
            WHEN text_length <= 500 THEN 5
            WHEN text_length <= 1000 THEN 6
            ELSE 7
        END AS bucket
    FROM {{window_messages_current}} AS messages_current
    WHERE
        {{sent_in_window}}
        AND text_length > 0
) AS lengths
GROUP BY bucket
ORDER BY bucket
