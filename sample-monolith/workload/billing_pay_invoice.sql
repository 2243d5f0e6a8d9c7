-- billing: a payment comes in; the receipt goes to the user's name and email
-- (a frequent read of accounts' users).
\set iid random(1, 4000 * :sf)
SELECT coalesce(max(user_id), 0) AS uid FROM invoices WHERE id = :iid \gset
SELECT name, email FROM users WHERE id = :uid;
WITH paid AS (
  UPDATE invoices SET status = 'paid', paid_at = now()
  WHERE id = :iid AND status = 'open' RETURNING id, amount_cents)
INSERT INTO payments (invoice_id, amount_cents, method)
SELECT id, amount_cents, 'card' FROM paid;
