-- Deterministic data for the sample shop: psql -v scale=S -f generate.sql (default 1).
-- Every value derives from generate_series indexes (no random(), no now()), so two
-- loads at the same scale hold identical data. Re-running it replaces the data.
-- Row counts per scale S (README.md has the exact numbers for S = 1):
--   users 1000 S, addresses 1000 S, legacy_coupons 50 S, categories 20, products 500 S,
--   price_history 1500 S, warehouses 5, stock 2500 S, stock_movements 2500 S,
--   orders 4000 S, order_items ~8000 S, invoices 4000 S, payments 2800 S, carriers 4,
--   shipments 2400 S.
\set ON_ERROR_STOP on
\if :{?scale}
\else
  \set scale 1
\endif
SET client_min_messages = warning;
SET TimeZone = 'UTC';

BEGIN;

TRUNCATE users, addresses, legacy_coupons, categories, products, price_history,
         warehouses, stock, stock_movements, orders, order_items, invoices, payments,
         carriers, shipments RESTART IDENTITY CASCADE;

-- accounts ----------------------------------------------------------------------------
INSERT INTO users (id, email, name, status, created_at, updated_at, last_login_at)
SELECT i,
       'user' || i || '@example.com',
       (ARRAY['Ada', 'Ben', 'Cleo', 'Dev', 'Eva', 'Finn', 'Gus', 'Hana', 'Ivo', 'Jet'])[1 + i % 10]
         || ' ' ||
       (ARRAY['Jansen', 'de Vries', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder', 'Bos',
              'Vos', 'Peters'])[1 + (i / 10) % 10],
       CASE WHEN i % 50 = 0 THEN 'closed' ELSE 'active' END,
       timestamptz '2023-01-01 00:00:00+00' + i * interval '7 minutes',
       timestamptz '2023-06-01 00:00:00+00' + i * interval '3 minutes',
       CASE WHEN i % 4 = 0 THEN NULL
            ELSE timestamptz '2024-01-01 00:00:00+00' + i * interval '5 minutes' END
FROM generate_series(1, 1000 * :scale) AS i;

INSERT INTO addresses (id, user_id, line1, city, postcode)
SELECT i, i,
       (1 + i % 199) || ' ' || (ARRAY['Kerkstraat', 'Dorpsstraat', 'Molenweg', 'Stationsweg'])[1 + i % 4],
       (ARRAY['Amsterdam', 'Rotterdam', 'Utrecht', 'Eindhoven', 'Groningen', 'Leiden'])[1 + i % 6],
       lpad((1000 + i % 9000)::text, 4, '0') || ' AB'
FROM generate_series(1, 1000 * :scale) AS i;

INSERT INTO legacy_coupons (code, user_id, discount_pct, expires_on)
SELECT 'LEGACY' || lpad(i::text, 6, '0'), 1 + (i * 7) % (1000 * :scale), 5 + i % 4 * 5,
       date '2019-01-01' + i
FROM generate_series(1, 50 * :scale) AS i;

-- catalog -----------------------------------------------------------------------------
INSERT INTO categories (id, name, parent_id)
SELECT i,
       CASE WHEN i <= 4 THEN (ARRAY['Home', 'Garden', 'Kitchen', 'Outdoor'])[i]
            ELSE (ARRAY['Home', 'Garden', 'Kitchen', 'Outdoor'])[1 + (i - 5) % 4] || ' / ' ||
                 (ARRAY['Tools', 'Lights', 'Storage', 'Textiles'])[1 + (i - 5) / 4] END,
       CASE WHEN i <= 4 THEN NULL ELSE 1 + (i - 5) % 4 END
FROM generate_series(1, 20) AS i;

INSERT INTO products (id, category_id, sku, name, price_cents, active, updated_at)
SELECT i, 5 + i % 16, 'SKU-' || lpad(i::text, 7, '0'),
       (ARRAY['Sturdy', 'Compact', 'Classic', 'Bright', 'Quiet'])[1 + i % 5] || ' ' ||
       (ARRAY['lamp', 'shelf', 'kettle', 'hose', 'chair', 'basket', 'rake'])[1 + i % 7] || ' ' || i,
       100 + (i * 37) % 9900,
       i % 25 <> 0,
       timestamptz '2023-03-01 00:00:00+00' + i * interval '11 minutes'
FROM generate_series(1, 500 * :scale) AS i;

-- Three past prices per product, the last one equal to the current price.
INSERT INTO price_history (product_id, price_cents, changed_at)
SELECT p, CASE WHEN k = 3 THEN 100 + (p * 37) % 9900 ELSE 100 + (p * 37 + k * 450) % 9900 END,
       timestamptz '2022-01-01 00:00:00+00' + k * interval '90 days' + p * interval '1 minute'
FROM generate_series(1, 500 * :scale) AS p, generate_series(1, 3) AS k;

-- inventory ---------------------------------------------------------------------------
INSERT INTO warehouses (id, code, city, last_stocktake_at)
SELECT i, 'WH' || i, (ARRAY['Tilburg', 'Venlo', 'Zwolle', 'Almere', 'Breda'])[i],
       timestamptz '2023-12-01 00:00:00+00' + i * interval '1 day'
FROM generate_series(1, 5) AS i;

INSERT INTO stock (product_id, warehouse_id, quantity, updated_at)
SELECT p, w, 50 + (p * 13 + w * 7) % 200, timestamptz '2024-01-01 00:00:00+00'
FROM generate_series(1, 500 * :scale) AS p, generate_series(1, 5) AS w;

INSERT INTO stock_movements (id, product_id, warehouse_id, delta, reason, created_at)
SELECT (p - 1) * 5 + w, p, w, 50 + (p * 13 + w * 7) % 200, 'receipt',
       timestamptz '2024-01-01 00:00:00+00'
FROM generate_series(1, 500 * :scale) AS p, generate_series(1, 5) AS w;

-- orders ------------------------------------------------------------------------------
-- Status by o % 10: 0,1 pending; 2 paid (no shipment yet); 3 paid (shipment ready);
-- 4,5 shipped; 6,7,8 delivered; 9 cancelled.
CREATE TEMP TABLE gen_items ON COMMIT DROP AS
SELECT o AS order_id, line AS line_no,
       1 + (o * 31 + line * 17) % (500 * :scale) AS product_id,
       1 + (o + line) % 3 AS quantity
FROM generate_series(1, 4000 * :scale) AS o,
     LATERAL generate_series(1, 1 + o % 3) AS line;

INSERT INTO orders (id, user_id, status, total_cents, created_at, updated_at)
SELECT o, 1 + (o::bigint * 7919) % (1000 * :scale),
       (CASE o % 10 WHEN 0 THEN 'pending' WHEN 1 THEN 'pending' WHEN 2 THEN 'paid'
                    WHEN 3 THEN 'paid' WHEN 4 THEN 'shipped' WHEN 5 THEN 'shipped'
                    WHEN 9 THEN 'cancelled' ELSE 'delivered' END)::order_status,
       t.total_cents,
       timestamptz '2024-01-01 00:00:00+00' + o * interval '13 minutes',
       timestamptz '2024-01-01 00:00:00+00' + o * interval '13 minutes' + interval '2 days'
FROM generate_series(1, 4000 * :scale) AS o
JOIN (SELECT g.order_id, sum(g.quantity * p.price_cents) AS total_cents
      FROM gen_items g JOIN products p ON p.id = g.product_id GROUP BY g.order_id) t
  ON t.order_id = o
ORDER BY o;

INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_cents)
SELECT g.order_id, g.line_no, g.product_id, g.quantity, p.price_cents
FROM gen_items g JOIN products p ON p.id = g.product_id;

UPDATE users u SET order_count = c.n
FROM (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id) c
WHERE c.user_id = u.id;

-- billing -----------------------------------------------------------------------------
-- Document numbers come from the shared sequence: invoice of order o gets 100000 + 2o,
-- its shipment (if any) 100001 + 2o; the sequence continues after the highest.
INSERT INTO invoices (id, order_id, user_id, number, amount_cents, status, reminder_count,
                      issued_at, paid_at)
SELECT o.id, o.id, o.user_id, 100000 + 2 * o.id, o.total_cents,
       CASE WHEN o.status IN ('pending', 'cancelled') THEN 'open' ELSE 'paid' END,
       CASE WHEN o.status IN ('pending', 'cancelled') THEN o.id % 3 ELSE 0 END,
       o.created_at,
       CASE WHEN o.status IN ('pending', 'cancelled') THEN NULL
            ELSE o.created_at + interval '1 hour' END
FROM orders o;

INSERT INTO payments (invoice_id, amount_cents, method, created_at)
SELECT i.id, i.amount_cents, CASE WHEN i.id % 4 = 0 THEN 'transfer' ELSE 'card' END, i.paid_at
FROM invoices i WHERE i.status = 'paid' ORDER BY i.id;

-- shipping ----------------------------------------------------------------------------
INSERT INTO carriers (id, name, base_rate_cents)
SELECT i, (ARRAY['PostNL', 'DHL', 'DPD', 'UPS'])[i], 395 + i * 100
FROM generate_series(1, 4) AS i;

INSERT INTO shipments (order_id, user_id, carrier_id, tracking_number, order_status,
                       shipped_at, delivered_at)
SELECT o.id, o.user_id, 1 + o.id % 4, 'TRK' || (100001 + 2 * o.id),
       CASE WHEN o.id % 10 = 3 THEN 'paid' ELSE o.status END,
       CASE WHEN o.id % 10 = 3 THEN NULL ELSE o.created_at + interval '1 day' END,
       CASE WHEN o.status = 'delivered' THEN o.created_at + interval '3 days' END
FROM orders o WHERE o.id % 10 BETWEEN 3 AND 8 ORDER BY o.id;

-- Identity and shared sequences continue after the generated ids.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'addresses', 'categories', 'products', 'warehouses',
                           'stock_movements', 'orders', 'invoices', 'payments', 'carriers',
                           'shipments'] LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), coalesce(max(id), 0) + 1, false) FROM %I', t, t);
  END LOOP;
END
$$;
SELECT setval('document_number_seq', 100002 + 2 * 4000 * :scale, false) AS document_number_next \gset

COMMIT;

ANALYZE;
