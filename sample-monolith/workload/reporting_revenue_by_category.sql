-- reporting: paid revenue per category (catalog, orders, billing).
SELECT c.name AS category, sum(oi.quantity * oi.unit_price_cents) AS revenue_cents
FROM invoices i
JOIN orders o ON o.id = i.order_id
JOIN order_items oi ON oi.order_id = o.id
JOIN products p ON p.id = oi.product_id
JOIN categories c ON c.id = p.category_id
WHERE i.status = 'paid'
GROUP BY c.name ORDER BY revenue_cents DESC;
