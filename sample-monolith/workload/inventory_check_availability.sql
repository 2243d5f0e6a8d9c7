-- inventory: where is a product in stock.
\set pid random(1, 500 * :sf)
SELECT w.code, w.city, s.quantity
FROM stock s JOIN warehouses w ON w.id = s.warehouse_id
WHERE s.product_id = :pid AND s.quantity > 0;
