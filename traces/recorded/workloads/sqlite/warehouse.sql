-- The sqlite3-warehouse trace: an in-memory table of stock movements built
-- large enough (about 40 MiB of pages live at once, in rows of 2 KiB) that a heap's own
-- overheads are small next to its blocks, then indexed, aggregated and
-- pruned.  Every row comes from a recursive CTE with integer arithmetic,
-- so the run is deterministic.
-- Usage: sqlite3 :memory: '.read warehouse.sql'

PRAGMA cache_size = -200000;

CREATE TABLE movement (
    id       INTEGER PRIMARY KEY,
    sku      INTEGER NOT NULL,
    depot    INTEGER NOT NULL,
    qty      INTEGER NOT NULL,
    label    TEXT NOT NULL
);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 15000)
INSERT INTO movement (sku, depot, qty, label)
SELECT (i * 7919) % 20011, i % 37, (i * 31) % 200 - 100,
       printf('batch-%08d/%s/%s', (i * 104729) % 99991,
              substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26, 1 + (i * 13) % 20),
              printf('%-1900d', (i * 2654435761) % 1000000007))
FROM n;

CREATE INDEX movement_sku ON movement (sku, depot);

SELECT depot, count(*), sum(qty) FROM movement GROUP BY depot ORDER BY depot LIMIT 5;
SELECT sku, sum(qty) AS stock FROM movement GROUP BY sku ORDER BY stock DESC LIMIT 5;
SELECT count(DISTINCT substr(label, 1, 10)) FROM movement;

UPDATE movement SET qty = qty * 2 WHERE depot % 5 = 0;
DELETE FROM movement WHERE id % 3 = 0;
SELECT count(*), sum(qty) FROM movement;
DELETE FROM movement WHERE depot > 20;
SELECT count(*) FROM movement;
