-- shipping: hand the oldest ready shipment to its carrier; the trigger on shipments
-- sets the order's status to shipped.
SELECT coalesce(min(id), 0) AS sid FROM shipments WHERE order_status = 'paid' \gset
UPDATE shipments SET order_status = 'shipped', shipped_at = now() WHERE id = :sid;
SELECT coalesce(max(user_id), 0) AS uid FROM shipments WHERE id = :sid \gset
SELECT name, email FROM users WHERE id = :uid;
