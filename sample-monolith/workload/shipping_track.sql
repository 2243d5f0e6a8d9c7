-- shipping: the tracking page of a shipment, with the user's name and email.
\set sid random(1, 2400 * :sf)
SELECT s.tracking_number, s.order_status, s.shipped_at, s.delivered_at, c.name AS carrier
FROM shipments s JOIN carriers c ON c.id = s.carrier_id WHERE s.id = :sid;
SELECT coalesce(max(user_id), 0) AS uid FROM shipments WHERE id = :sid \gset
SELECT name, email FROM users WHERE id = :uid;
