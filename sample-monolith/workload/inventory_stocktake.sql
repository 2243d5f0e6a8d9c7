-- inventory: count a shelf and correct the stock level.
\set pid random(1, 500 * :sf)
\set wh random(1, 5)
\set counted random(20, 200)
BEGIN;
SELECT quantity AS old_quantity FROM stock WHERE product_id = :pid AND warehouse_id = :wh FOR UPDATE \gset
UPDATE stock SET quantity = :counted, updated_at = now() WHERE product_id = :pid AND warehouse_id = :wh;
INSERT INTO stock_movements (product_id, warehouse_id, delta, reason)
VALUES (:pid, :wh, :counted - :old_quantity, 'stocktake');
UPDATE warehouses SET last_stocktake_at = now() WHERE id = :wh;
COMMIT;
