-- catalog: a merchant changes a price; price_history (no primary key) keeps the old ones.
\set pid random(1, 500 * :sf)
\set price random(100, 9999)
BEGIN;
UPDATE products SET price_cents = :price, updated_at = now() WHERE id = :pid;
INSERT INTO price_history (product_id, price_cents) VALUES (:pid, :price);
COMMIT;
