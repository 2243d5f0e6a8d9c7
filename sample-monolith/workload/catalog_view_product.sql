-- catalog: a product page with its recent prices.
\set pid random(1, 500 * :sf)
SELECT id, sku, name, price_cents, active FROM products WHERE id = :pid;
SELECT price_cents, changed_at FROM price_history WHERE product_id = :pid ORDER BY changed_at DESC LIMIT 5;
