-- orders: place an order. ONE transaction writes orders + order_items (orders),
-- stock (inventory) and invoices (billing); afterwards the user's order counter
-- (accounts' users table) is bumped. Prices are read from catalog.
\set uid random(1, 1000 * :sf)
\set p1 random(1, 500 * :sf)
\set p2 random(1, 500 * :sf)
\set q1 random(1, 3)
\set q2 random(1, 3)
\set wh random(1, 5)
SELECT price_cents AS price1 FROM products WHERE id = :p1 \gset
SELECT price_cents AS price2 FROM products WHERE id = :p2 \gset
BEGIN;
INSERT INTO orders (user_id, status, total_cents)
VALUES (:uid, 'pending', :price1 * :q1 + :price2 * :q2) RETURNING id AS order_id \gset
INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_cents)
VALUES (:order_id, 1, :p1, :q1, :price1), (:order_id, 2, :p2, :q2, :price2);
UPDATE stock SET quantity = quantity - :q1, updated_at = now()
WHERE product_id = :p1 AND warehouse_id = :wh AND quantity >= :q1;
UPDATE stock SET quantity = quantity - :q2, updated_at = now()
WHERE product_id = :p2 AND warehouse_id = :wh AND quantity >= :q2;
INSERT INTO invoices (order_id, user_id, amount_cents)
VALUES (:order_id, :uid, :price1 * :q1 + :price2 * :q2);
COMMIT;
UPDATE users SET order_count = order_count + 1 WHERE id = :uid;
