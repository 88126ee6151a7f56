-- The BigQuery view (customer_courier_conversations.bigquery.sql) in DuckDB's
-- dialect, line for line: the tests run it over the warehouse's `conversations`
-- and `orders` and check it agrees with the pipeline's table row for row.
WITH per_order AS (
  SELECT
    order_id,
    min(message_sent_time) FILTER (WHERE sender_role = 'courier') AS first_courier_message,
    min(message_sent_time) FILTER (WHERE sender_role = 'customer') AS first_customer_message,
    count(*) FILTER (WHERE sender_role = 'courier') AS num_messages_courier,
    count(*) FILTER (WHERE sender_role = 'customer') AS num_messages_customer,
    min(message_sent_time) AS conversation_started_at,
    first(sender_role ORDER BY message_sent_time, message_id) AS first_message_by,
    max(message_sent_time) AS last_message_time,
    first(order_stage ORDER BY message_sent_time DESC, message_id DESC) AS last_message_order_stage
  FROM conversations
  GROUP BY order_id
),
cities AS (
  SELECT order_id, min(city_code) AS city_code
  FROM orders
  GROUP BY order_id
)
SELECT
  p.order_id,
  c.city_code,
  p.first_courier_message,
  p.first_customer_message,
  p.num_messages_courier,
  p.num_messages_customer,
  p.first_message_by,
  p.conversation_started_at,
  -- BigQuery's TIMESTAMP_DIFF(..., SECOND) truncates the elapsed time; DuckDB's date_diff counts boundaries
  CAST(floor((epoch_us(CASE WHEN p.first_message_by = 'courier' THEN p.first_customer_message ELSE p.first_courier_message END)
              - epoch_us(p.conversation_started_at)) / 1000000) AS BIGINT) AS first_responsetime_delay_seconds,
  p.last_message_time,
  p.last_message_order_stage,
  CAST(p.conversation_started_at AS DATE) AS run_date
FROM per_order AS p
LEFT JOIN cities AS c USING (order_id)
ORDER BY p.order_id
