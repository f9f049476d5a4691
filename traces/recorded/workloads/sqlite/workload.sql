-- The sqlite3 trace: a small order-processing database built, indexed,
-- queried, updated and pruned in one run.  Every row comes from recursive
-- CTEs with integer arithmetic, so the run is deterministic.
-- Usage: sqlite3 :memory: '.read workload.sql'

PRAGMA cache_size = -4000;

CREATE TABLE customer (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    city     TEXT NOT NULL,
    joined   INTEGER NOT NULL
);
CREATE TABLE product (
    id       INTEGER PRIMARY KEY,
    title    TEXT NOT NULL,
    category TEXT NOT NULL,
    price    REAL NOT NULL
);
CREATE TABLE orders (
    id       INTEGER PRIMARY KEY,
    customer INTEGER NOT NULL REFERENCES customer(id),
    day      INTEGER NOT NULL,
    note     TEXT
);
CREATE TABLE line (
    ord      INTEGER NOT NULL REFERENCES orders(id),
    product  INTEGER NOT NULL REFERENCES product(id),
    qty      INTEGER NOT NULL
);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
INSERT INTO customer
SELECT i,
       'customer-' || printf('%05d', i) || '-' || substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26, 1 + i % 7),
       'city-' || (i * 7919 % 97),
       18000 + (i * 104729 % 1500)
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
INSERT INTO product
SELECT i,
       'product ' || hex(i * 2654435761 % 4294967296),
       'category-' || (i % 23),
       round(1 + (i * 48271 % 10000) / 100.0, 2)
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO orders
SELECT i,
       1 + (i * 16807 % 4000),
       19000 + (i * 69621 % 365),
       CASE WHEN i % 5 = 0 THEN 'gift wrap, deliver after ' || (i % 12) || ' pm' END
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
INSERT INTO line
SELECT 1 + (i * 40692 % 20000), 1 + (i * 39373 % 600) * (1 + i % 4) / 4, 1 + i * i % 9
FROM n;

CREATE INDEX orders_by_customer ON orders(customer);
CREATE INDEX line_by_order ON line(ord);
CREATE INDEX line_by_product ON line(product);
CREATE INDEX customer_by_city ON customer(city, name);

-- Revenue per city, top 10.
SELECT c.city, count(DISTINCT o.id) AS orders, round(sum(l.qty * p.price), 2) AS revenue
FROM customer c
JOIN orders o ON o.customer = c.id
JOIN line l ON l.ord = o.id
JOIN product p ON p.id = l.product
GROUP BY c.city
ORDER BY revenue DESC
LIMIT 10;

-- Best products per category (window function).
SELECT category, title, sold FROM (
    SELECT p.category, p.title, sum(l.qty) AS sold,
           rank() OVER (PARTITION BY p.category ORDER BY sum(l.qty) DESC) AS r
    FROM product p JOIN line l ON l.product = p.id
    GROUP BY p.id
) WHERE r <= 2 ORDER BY category, sold DESC;

-- Customers with no order in the last 30 days of the year.
SELECT count(*) FROM customer c
WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer = c.id AND o.day >= 19335);

-- Text work: group names by their suffix letters.
SELECT substr(name, 16) AS suffix, count(*), group_concat(id, ',') IS NOT NULL
FROM customer GROUP BY suffix ORDER BY count(*) DESC LIMIT 5;

-- Updates and deletes reshape the tables and their indexes.
UPDATE product SET price = round(price * 1.07, 2) WHERE category IN ('category-3', 'category-7');
UPDATE orders SET note = coalesce(note, '') || ' [audited]' WHERE id % 7 = 0;
DELETE FROM line WHERE qty = 1 AND product % 3 = 0;
DELETE FROM orders WHERE id NOT IN (SELECT ord FROM line);

CREATE TEMP TABLE monthly AS
SELECT (day - 19000) / 30 AS month, count(*) AS n, sum(length(note)) AS note_bytes
FROM orders GROUP BY month;
SELECT * FROM monthly ORDER BY month;

-- A self-join: pairs of products bought in the same order.
SELECT a.product, b.product, count(*) AS together
FROM line a JOIN line b ON a.ord = b.ord AND a.product < b.product
GROUP BY a.product, b.product
ORDER BY together DESC, a.product, b.product
LIMIT 10;

VACUUM;
SELECT count(*), sum(qty) FROM line;
