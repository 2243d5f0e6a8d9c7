-- accounts: close an account, only when the user has no open order. Rare, and the
-- check must see fresh orders data (a cross-module read of orders).
\set uid random(1, 1000 * :sf)
SELECT count(*) AS open_orders FROM orders WHERE user_id = :uid AND status IN ('pending', 'paid') \gset
\if :open_orders = 0
UPDATE users SET status = 'closed', updated_at = now() WHERE id = :uid AND status = 'active';
\endif
