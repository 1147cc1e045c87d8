-- Every insert aims at the same b (one popular entry); a is random, so (a, b) never repeats.
\set a random(1, 9000000000000000000)
INSERT INTO :table (a, b) VALUES (:a, 1);
