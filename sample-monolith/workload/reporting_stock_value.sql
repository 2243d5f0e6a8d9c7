-- reporting: stock value per warehouse and recent price changes (inventory, catalog).
SELECT w.code, sum(s.quantity * p.price_cents) AS value_cents
FROM stock s JOIN warehouses w ON w.id = s.warehouse_id JOIN products p ON p.id = s.product_id
GROUP BY w.code ORDER BY w.code;
SELECT count(*) AS changes, avg(price_cents) AS avg_price FROM price_history
WHERE changed_at > now() - interval '30 days';
SELECT reason, sum(delta) FROM stock_movements GROUP BY reason ORDER BY reason;
