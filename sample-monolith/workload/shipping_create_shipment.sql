-- shipping: prepare a shipment for a paid order (reads orders), notify the user
-- (reads the user's name and email).
\set oid random(1, 4000 * :sf)
\set carrier random(1, 4)
INSERT INTO shipments (order_id, user_id, carrier_id, order_status)
SELECT o.id, o.user_id, :carrier, 'paid' FROM orders o
WHERE o.id = :oid AND o.status = 'paid'
AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id);
SELECT coalesce(max(user_id), 0) AS uid FROM shipments WHERE order_id = :oid \gset
SELECT name, email FROM users WHERE id = :uid;
