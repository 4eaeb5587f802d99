-- A MySQL (8.0.30+, 9.x) database with planted problems, one per object, for the assessment's
-- integration test (tests/integration/test_mysql_assessment.py). Each line below names the object
-- and the finding the assessment must report for it.
--
--   no_key ............................ no-unique-not-null-key (no primary key, no unique key)
--   myisam_log ........................ non-innodb-engine
--   legacy_sjis ....................... unsupported-table-charset (sjis), and its column name: unsupported-column-charset
--   hashed ............................ non-range-partitioning (HASH, 4 partitions)
--   children .......................... foreign-key (fk_children_parent -> parents)
--   children_touch .................... trigger
--   count_children .................... routine (a procedure)
--   purge_children .................... event
--   parent_counts ..................... view
--   orders.line_total ................. generated-column (STORED)
--   orders.updated_at, orders.created_on  NO generated-column: DEFAULT CURRENT_TIMESTAMP ON UPDATE ...
--                                       and DEFAULT (CURRENT_DATE) are expression defaults (DEFAULT_GENERATED)
--   orders.internal_flag .............. invisible-column
--   generated_key.my_row_id ........... generated-invisible-primary-key (sql_generate_invisible_primary_key)
--   embeddings.embedding .............. vector-column (a MySQL 9 type)
--
-- Single-statement bodies only: the file is split on ";" at line ends, without DELIMITER.

CREATE TABLE parents (
  id    INT NOT NULL PRIMARY KEY,
  name  VARCHAR(50) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE children (
  id         INT NOT NULL PRIMARY KEY,
  parent_id  INT NOT NULL,
  CONSTRAINT fk_children_parent FOREIGN KEY (parent_id) REFERENCES parents (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE no_key (
  at    DATETIME NOT NULL,
  kind  VARCHAR(20) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE myisam_log (
  id   INT NOT NULL PRIMARY KEY,
  msg  VARCHAR(100) NOT NULL
) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4;

CREATE TABLE legacy_sjis (
  id    INT NOT NULL PRIMARY KEY,
  name  VARCHAR(50) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=sjis;

CREATE TABLE hashed (
  id  INT NOT NULL PRIMARY KEY,
  v   INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  PARTITION BY HASH (id) PARTITIONS 4;

CREATE TABLE orders (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  qty            INT NOT NULL DEFAULT 1,
  price          DECIMAL(10,2) NOT NULL,
  line_total     DECIMAL(12,2) AS (qty * price) STORED,
  internal_flag  TINYINT NOT NULL DEFAULT 0 INVISIBLE,
  created_on     DATE NOT NULL DEFAULT (CURRENT_DATE),
  updated_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

SET SESSION sql_generate_invisible_primary_key = ON;

CREATE TABLE generated_key (
  note  VARCHAR(50) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

SET SESSION sql_generate_invisible_primary_key = OFF;

CREATE TABLE embeddings (
  id         INT NOT NULL PRIMARY KEY,
  embedding  VECTOR(3) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A functional key part (MySQL 8.0.13+) names no column: the first table keeps its primary key, the
-- second has no other unique key and is not importable.
CREATE TABLE accounts (
  id     INT NOT NULL PRIMARY KEY,
  email  VARCHAR(190) NOT NULL,
  UNIQUE KEY uk_email_ci ((lower(email)))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE tag_names (
  name  VARCHAR(64) NOT NULL,
  UNIQUE KEY uk_name_ci (name, (lower(name)))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TRIGGER children_touch BEFORE UPDATE ON children FOR EACH ROW
  SET NEW.parent_id = NEW.parent_id;

CREATE PROCEDURE count_children()
  SELECT COUNT(*) FROM children;

CREATE EVENT purge_children ON SCHEDULE EVERY 1 DAY DISABLE
  DO DELETE FROM children WHERE parent_id NOT IN (SELECT id FROM parents);

CREATE VIEW parent_counts AS
  SELECT parent_id, COUNT(*) AS children FROM children GROUP BY parent_id;

INSERT INTO parents (id, name) VALUES (1, 'one'), (2, 'two');

INSERT INTO children (id, parent_id) VALUES (10, 1), (11, 1), (12, 2);

INSERT INTO orders (qty, price) VALUES (2, 9.50), (1, 120.00);
