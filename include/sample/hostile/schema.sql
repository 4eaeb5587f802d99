-- A source schema with hostile but legal names: reserved words, quotes, backticks, spaces, unicode,
-- dots and 64-character names (backticks in column names: a backtick in a *table* name makes Vitess v24
-- unable to read the whole database's schema, which the readiness assessment reports as a blocker). Loaded into the `hostile_names` database of the local source by
-- `pocflow sample load --hostile` and by tests/integration/test_hostile_names.py.
CREATE TABLE `order` (
  `select` INT NOT NULL,
  `from` VARCHAR(40) NOT NULL,
  `where clause` VARCHAR(40) NULL,
  `"quoted"` INT NULL,
  `it's` DECIMAL(10,2) NULL,
  PRIMARY KEY (`select`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `it's "quoted"` (
  `key` BIGINT NOT NULL,
  `col``umn` VARCHAR(30) NOT NULL,
  `group` DATE NULL,
  PRIMARY KEY (`key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `naïve café 表` (
  `ключ` INT NOT NULL,
  `値` VARCHAR(20) NOT NULL,
  `emoji ✓` VARCHAR(10) NULL,
  PRIMARY KEY (`ключ`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `a_table_name_that_is_exactly_sixty_four_characters_long_abcdefgh` (
  `a_column_name_that_is_exactly_sixty_four_characters_long_abcdefg` INT NOT NULL,
  `value` VARCHAR(20) NOT NULL,
  PRIMARY KEY (`a_column_name_that_is_exactly_sixty_four_characters_long_abcdefg`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `order lines-2024.q1` (
  `order id` INT NOT NULL,
  `line#` SMALLINT NOT NULL,
  `qty (units)` INT NOT NULL,
  `note;--` VARCHAR(50) NULL,
  PRIMARY KEY (`order id`, `line#`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
