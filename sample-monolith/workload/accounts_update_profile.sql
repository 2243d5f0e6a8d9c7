-- accounts: a user edits name and address.
\set uid random(1, 1000 * :sf)
\set v random(1, 1000)
SELECT a.id, a.line1, a.city, a.postcode FROM addresses a WHERE a.user_id = :uid;
UPDATE users SET name = 'User ' || :uid || ' v' || :v, updated_at = now() WHERE id = :uid;
UPDATE addresses SET line1 = :v || ' Nieuwe Weg' WHERE user_id = :uid;
