-- inventory: goods arrive at a warehouse.
\set pid random(1, 500 * :sf)
\set wh random(1, 5)
\set q random(5, 50)
BEGIN;
UPDATE stock SET quantity = quantity + :q, updated_at = now() WHERE product_id = :pid AND warehouse_id = :wh;
INSERT INTO stock_movements (product_id, warehouse_id, delta, reason) VALUES (:pid, :wh, :q, 'restock');
COMMIT;
