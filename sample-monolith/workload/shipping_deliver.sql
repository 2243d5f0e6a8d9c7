-- shipping: the carrier reports a delivery; the trigger sets the order delivered.
\set sid random(1, 2400 * :sf)
UPDATE shipments SET order_status = 'delivered', delivered_at = now()
WHERE id = :sid AND order_status = 'shipped';
SELECT coalesce(max(user_id), 0) AS uid FROM shipments WHERE id = :sid \gset
SELECT name, email FROM users WHERE id = :uid;
