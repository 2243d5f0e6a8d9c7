-- billing: remind the user of an open invoice (reads the user's name and email).
\set iid random(1, 4000 * :sf)
SELECT coalesce(max(user_id), 0) AS uid FROM invoices WHERE id = :iid \gset
SELECT name, email FROM users WHERE id = :uid;
UPDATE invoices SET reminder_count = reminder_count + 1 WHERE id = :iid AND status = 'open';
