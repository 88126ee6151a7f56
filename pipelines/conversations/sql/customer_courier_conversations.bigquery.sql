-- Seed 004's final table as a BigQuery view over `conversations` and `orders`,
-- with the pipeline's definitions (docs/conversations.md). The pipeline writes
-- the same rows to the table `customer_courier_conversations`; this view is for
-- those who want them computed at query time instead.
-- Replace PROJECT and DATASET (bq query --use_legacy_sql=false < this file).
CREATE OR REPLACE VIEW `PROJECT.DATASET.customer_courier_conversations_view` AS
WITH per_order AS (
  SELECT
    order_id,
    MIN(IF(sender_role = 'courier', message_sent_time, NULL)) AS first_courier_message,
    MIN(IF(sender_role = 'customer', message_sent_time, NULL)) AS first_customer_message,
    COUNTIF(sender_role = 'courier') AS num_messages_courier,
    COUNTIF(sender_role = 'customer') AS num_messages_customer,
    MIN(message_sent_time) AS conversation_started_at,
    -- ties on time are broken by message_id, as in the pipeline
    ARRAY_AGG(sender_role ORDER BY message_sent_time, message_id LIMIT 1)[OFFSET(0)] AS first_message_by,
    MAX(message_sent_time) AS last_message_time,
    ARRAY_AGG(order_stage ORDER BY message_sent_time DESC, message_id DESC LIMIT 1)[OFFSET(0)] AS last_message_order_stage
  FROM `PROJECT.DATASET.conversations`
  GROUP BY order_id
),
cities AS (
  SELECT order_id, MIN(city_code) AS city_code
  FROM `PROJECT.DATASET.orders`
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
  TIMESTAMP_DIFF(
    IF(p.first_message_by = 'courier', p.first_customer_message, p.first_courier_message),
    p.conversation_started_at, SECOND) AS first_responsetime_delay_seconds,
  p.last_message_time,
  p.last_message_order_stage,
  DATE(p.conversation_started_at) AS run_date
FROM per_order AS p
LEFT JOIN cities AS c USING (order_id);
