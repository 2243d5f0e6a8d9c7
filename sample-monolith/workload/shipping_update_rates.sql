-- shipping: rare: a carrier changes its rate.
\set carrier random(1, 4)
\set rate random(300, 900)
UPDATE carriers SET base_rate_cents = :rate WHERE id = :carrier;
