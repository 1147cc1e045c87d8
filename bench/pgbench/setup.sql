-- Scratch tables for bench_like.py's pgbench comparison: what the database alone allows.
DROP TABLE IF EXISTS pgb_like, pgb_like_fk, pgb_entry;
CREATE TABLE pgb_entry (id bigint PRIMARY KEY);
INSERT INTO pgb_entry SELECT generate_series(1, 10000);
-- The bare shape: one unique (a, b) constraint.
CREATE TABLE pgb_like (
    id bigserial PRIMARY KEY,
    a bigint NOT NULL,
    b bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (a, b)
);
-- The like table's shape: also a foreign key to the entry and an index led by it.
CREATE TABLE pgb_like_fk (
    id bigserial PRIMARY KEY,
    a bigint NOT NULL,
    b bigint NOT NULL REFERENCES pgb_entry (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (a, b)
);
CREATE INDEX ON pgb_like_fk (b);
