-- orders: a pending order becomes paid once billing has its invoice paid
-- (reads billing's invoices).
\set oid random(1, 4000 * :sf)
UPDATE orders o SET status = 'paid', updated_at = now()
WHERE o.id = :oid AND o.status = 'pending'
AND EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.status = 'paid');
