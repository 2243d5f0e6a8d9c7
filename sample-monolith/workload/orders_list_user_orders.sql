-- orders: a user's recent orders, through the cross-module view order_summaries.
\set uid random(1, 1000 * :sf)
SELECT order_id, status, total_cents, created_at
FROM order_summaries WHERE user_id = :uid ORDER BY created_at DESC LIMIT 10;
