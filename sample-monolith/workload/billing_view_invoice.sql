-- billing: show an invoice with its payments, addressed to the user.
\set iid random(1, 4000 * :sf)
SELECT coalesce(max(user_id), 0) AS uid FROM invoices WHERE id = :iid \gset
SELECT name, email FROM users WHERE id = :uid;
SELECT i.number, i.amount_cents, i.status, coalesce(sum(p.amount_cents), 0) AS paid_cents
FROM invoices i LEFT JOIN payments p ON p.invoice_id = i.id
WHERE i.id = :iid GROUP BY i.id;
