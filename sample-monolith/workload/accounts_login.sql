-- accounts: a user signs in (the module's most frequent operation).
\set uid random(1, 1000 * :sf)
SELECT id, email, name, status FROM users WHERE id = :uid;
UPDATE users SET last_login_at = now() WHERE id = :uid;
