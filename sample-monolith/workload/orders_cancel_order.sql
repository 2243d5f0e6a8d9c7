-- orders: a customer cancels a pending order.
\set oid random(1, 4000 * :sf)
UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = :oid AND status = 'pending';
