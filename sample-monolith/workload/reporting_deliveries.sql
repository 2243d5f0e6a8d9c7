-- reporting: delivery times per carrier and payments per method (shipping, billing,
-- orders, accounts).
SELECT c.name AS carrier, count(*) AS delivered, avg(s.delivered_at - s.shipped_at) AS avg_transit,
       count(DISTINCT u.id) AS customers
FROM shipments s JOIN carriers c ON c.id = s.carrier_id
JOIN orders o ON o.id = s.order_id JOIN users u ON u.id = o.user_id
WHERE s.order_status = 'delivered'
GROUP BY c.name ORDER BY c.name;
SELECT p.method, count(*), sum(p.amount_cents) FROM payments p JOIN invoices i ON i.id = p.invoice_id
GROUP BY p.method ORDER BY p.method;
