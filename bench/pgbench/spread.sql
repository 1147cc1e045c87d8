-- Inserts spread over 10,000 values of b (10,000 entries); a is random, so (a, b) never repeats.
\set a random(1, 9000000000000000000)
\set b random(1, 10000)
INSERT INTO :table (a, b) VALUES (:a, :b);
