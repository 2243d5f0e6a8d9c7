-- accounts: a new user signs up with an address.
\set n random(1, 1000000000)
INSERT INTO users (email, name) VALUES ('signup' || :n || '@example.com', 'New user ' || :n)
ON CONFLICT (email) DO NOTHING;
INSERT INTO addresses (user_id, line1, city, postcode)
SELECT id, '1 Startstraat', 'Utrecht', '3511 AA' FROM users WHERE email = 'signup' || :n || '@example.com'
AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.user_id = users.id);
