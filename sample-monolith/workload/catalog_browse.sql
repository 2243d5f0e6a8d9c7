-- catalog: list a category's products.
\set cat random(5, 20)
SELECT p.id, p.name, p.price_cents, c.name AS category
FROM products p JOIN categories c ON c.id = p.category_id
WHERE p.category_id = :cat AND p.active
ORDER BY p.name LIMIT 20;
