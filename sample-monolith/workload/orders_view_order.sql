-- orders: order details with user and product names (joins orders, accounts, catalog).
\set oid random(1, 4000 * :sf)
SELECT o.id, o.status, o.total_cents, u.name AS user_name, u.email,
       oi.line_no, p.name AS product_name, oi.quantity, oi.unit_price_cents
FROM orders o
JOIN users u ON u.id = o.user_id
JOIN order_items oi ON oi.order_id = o.id
JOIN products p ON p.id = oi.product_id
WHERE o.id = :oid
ORDER BY oi.line_no;
