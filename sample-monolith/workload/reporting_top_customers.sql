-- reporting: best customers and their cities (orders, accounts via the view and addresses).
SELECT s.user_id, s.user_name, a.city, count(*) AS orders, sum(s.total_cents) AS spent_cents
FROM order_summaries s JOIN addresses a ON a.user_id = s.user_id
WHERE s.status <> 'cancelled'
GROUP BY s.user_id, s.user_name, a.city ORDER BY spent_cents DESC, s.user_id LIMIT 10;
