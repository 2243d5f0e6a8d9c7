-- catalog: rare housekeeping: rename a category, switch a product on or off.
\set cat random(5, 20)
\set pid random(1, 500 * :sf)
\set v random(1, 100)
UPDATE categories SET name = split_part(name, ' #', 1) || ' #' || :v WHERE id = :cat;
UPDATE products SET active = NOT active, updated_at = now() WHERE id = :pid;
