-- Index, constraint and foreign key shapes whose definitions dbsplit spells itself or
-- leaves to the server (pg_get_indexdef/pg_get_constraintdef): quoted and keyword names,
-- DESC/NULLS, COLLATE, operator classes (default, non-default, with options), INCLUDE,
-- NULLS NOT DISTINCT, expressions, predicates, storage options, other access methods,
-- partitioned indexes, FK actions, MATCH FULL, SET NULL (columns), NOT VALID,
-- DEFERRABLE, a key to a schema that can be excluded, an extension-owned table.
-- Used by bench/check_definitions.sh.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE SCHEMA "Odd Schema";
CREATE SCHEMA elsewhere;
CREATE TYPE "Odd Schema".mood AS ENUM ('sad', 'ok');
CREATE DOMAIN "Odd Schema".posint AS integer CHECK (VALUE > 0);
CREATE TABLE elsewhere.ref (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE "Odd Schema"."User" (
  "ID" bigint PRIMARY KEY,
  "user" text NOT NULL,
  "order" int,
  "between" int,
  name varchar(40),
  type text,
  "ünïcode" text,
  "we""ird" text,
  "Select" char(3),
  m "Odd Schema".mood,
  p "Odd Schema".posint,
  tags text[],
  doc tsvector,
  ts tsrange,
  c_collated text COLLATE "C",
  ref_id int,
  ref_code text,
  CONSTRAINT "User_unique_user" UNIQUE ("user"),
  CONSTRAINT uq_nnd UNIQUE NULLS NOT DISTINCT ("order", "between"),
  CONSTRAINT uq_incl UNIQUE (type) INCLUDE (name),
  CONSTRAINT uq_def UNIQUE ("Select") DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT uq_def2 UNIQUE ("ünïcode") DEFERRABLE,
  CONSTRAINT ex_ts EXCLUDE USING gist (ts WITH &&),
  CONSTRAINT ck_multi CHECK ("order" > 0 AND "between" < 10) NO INHERIT,
  CONSTRAINT fk_out FOREIGN KEY (ref_id) REFERENCES elsewhere.ref (id) ON UPDATE CASCADE,
  CONSTRAINT fk_out2 FOREIGN KEY (ref_code) REFERENCES elsewhere.ref (code) MATCH FULL ON DELETE SET NULL
);
CREATE TABLE "Odd Schema".child (
  id int PRIMARY KEY,
  a bigint, b int, c int, d int,
  CONSTRAINT fk1 FOREIGN KEY (a) REFERENCES "Odd Schema"."User" ("ID") ON DELETE CASCADE ON UPDATE RESTRICT,
  CONSTRAINT "Fk 2" FOREIGN KEY (a) REFERENCES "Odd Schema"."User" ("ID") MATCH FULL ON DELETE SET DEFAULT ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT fk3 FOREIGN KEY (b, c) REFERENCES "Odd Schema"."User" ("order", "between") ON DELETE SET NULL (b) DEFERRABLE,
  CONSTRAINT fk4 FOREIGN KEY (b, c) REFERENCES "Odd Schema"."User" ("order", "between") ON DELETE RESTRICT
);
ALTER TABLE "Odd Schema".child ADD CONSTRAINT fk5 FOREIGN KEY (a) REFERENCES "Odd Schema"."User" ("ID") NOT VALID;
CREATE TABLE "Odd Schema".self (id int PRIMARY KEY, parent int REFERENCES "Odd Schema".self);
CREATE INDEX i_desc ON "Odd Schema"."User" ("order" DESC, "between" NULLS FIRST);
CREATE INDEX i_desc2 ON "Odd Schema"."User" ("order" DESC NULLS LAST);
CREATE INDEX i_coll ON "Odd Schema"."User" ("user" COLLATE "C");
CREATE INDEX i_coll_same ON "Odd Schema"."User" (c_collated COLLATE "C");
CREATE INDEX i_pattern ON "Odd Schema"."User" ("user" text_pattern_ops);
CREATE INDEX i_varchar ON "Odd Schema"."User" (name);
CREATE INDEX i_char ON "Odd Schema"."User" ("Select");
CREATE INDEX i_enum ON "Odd Schema"."User" (m);
CREATE INDEX i_domain ON "Odd Schema"."User" (p);
CREATE INDEX i_expr ON "Odd Schema"."User" (lower("user"));
CREATE INDEX i_expr2 ON "Odd Schema"."User" (("order" + 1), name);
CREATE INDEX i_partial ON "Odd Schema"."User" ("order") WHERE "order" > 5;
CREATE INDEX i_ff ON "Odd Schema"."User" ("between") WITH (fillfactor = 70);
CREATE INDEX i_gin ON "Odd Schema"."User" USING gin (tags);
CREATE INDEX i_gin_trgm ON "Odd Schema"."User" USING gin ("user" gin_trgm_ops);
CREATE INDEX i_gist_siglen ON "Odd Schema"."User" USING gist (doc tsvector_ops (siglen = 100));
CREATE INDEX i_gist_doc ON "Odd Schema"."User" USING gist (doc);
CREATE INDEX i_hash ON "Odd Schema"."User" USING hash ("user");
CREATE INDEX i_brin ON "Odd Schema"."User" USING brin ("order");
CREATE INDEX i_incl ON "Odd Schema"."User" ("order") INCLUDE ("user", name);
CREATE UNIQUE INDEX i_nnd ON "Odd Schema"."User" ("between") NULLS NOT DISTINCT;
CREATE INDEX "Index With Space" ON "Odd Schema"."User" ("we""ird", "ünïcode");
CREATE INDEX i_btree_gist ON "Odd Schema"."User" USING gist ("order", ts);
CREATE TABLE "Odd Schema".parted (id int, at date, note text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE "Odd Schema".parted_2024 PARTITION OF "Odd Schema".parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX parted_note ON "Odd Schema".parted (note);
CREATE INDEX parted_note_desc ON "Odd Schema".parted (note DESC);
CREATE TABLE "Odd Schema".fkp (id int PRIMARY KEY, pid int, pat date, FOREIGN KEY (pid, pat) REFERENCES "Odd Schema".parted (id, at));
ALTER TABLE "Odd Schema"."User" REPLICA IDENTITY USING INDEX "User_unique_user";
CREATE TABLE "Odd Schema".ext_owned (id int, m "Odd Schema".mood, ms "Odd Schema".mood[]);
ALTER EXTENSION pg_trgm ADD TABLE "Odd Schema".ext_owned;
