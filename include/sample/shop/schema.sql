-- The sample source database: an online shop, carrying the things that break migrations.
-- Loaded by `pocflow sample load` (data from pocflow.local.sample.generate, deterministic by seed).
--
--   DECIMAL ........................ customers.balance, products.price, orders.total, payments.amount
--   FLOAT / DOUBLE ................. products.weight_kg (FLOAT), products.rating, order_lines.discount
--   DATETIME / TIMESTAMP ........... customers.created_at (DATETIME(6)), orders.updated_at (TIMESTAMP), payments.paid_at (TIMESTAMP(3))
--   utf8mb4 text with emoji ........ customers.full_name, products.description
--   a latin1 column ................ customers.legacy_code
--   JSON ........................... customers.preferences, products.attributes, payments.raw_response, events.payload
--   BLOB ........................... products.thumbnail
--   ENUM / SET ..................... customers.loyalty_tier, orders.status, payments.method / products.tags
--   NULLs .......................... preferences, notes, provider_ref, thumbnail, events.customer_id
--   composite primary keys ......... order_lines (order_id, line_no), inventory (warehouse_code, product_id)
--   auto-increment keys ............ customers, products, orders, payments
--   a table without a primary key .. events
--   foreign keys ................... orders -> customers, order_lines -> orders
--   a trigger ...................... inventory_never_negative
--   a view ......................... customer_order_totals
--   order_lines and payments carry the customer_id of their order (denormalised, as shops that
--   plan to shard by customer do), so a sharded plan can keep a customer's rows together.

CREATE TABLE customers (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email         VARCHAR(191) NOT NULL,
  full_name     VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  legacy_code   VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci NULL,
  country       CHAR(2) NOT NULL,
  loyalty_tier  ENUM('none','silver','gold','platinum') NOT NULL DEFAULT 'none',
  balance       DECIMAL(12,2) NOT NULL DEFAULT 0.00,
  preferences   JSON NULL,
  created_at    DATETIME(6) NOT NULL,
  updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE KEY uk_customers_email (email),
  KEY ix_customers_country (country)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE products (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT,
  sku           VARCHAR(32) NOT NULL,
  name          VARCHAR(200) NOT NULL,
  description   TEXT NULL,
  price         DECIMAL(10,2) NOT NULL,
  weight_kg     FLOAT NOT NULL,
  rating        DOUBLE NULL,
  tags          SET('new','sale','eco','bulk','gift') NOT NULL DEFAULT '',
  thumbnail     BLOB NULL,
  attributes    JSON NOT NULL,
  created_at    DATETIME NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_products_sku (sku)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE orders (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  customer_id   BIGINT UNSIGNED NOT NULL,
  status        ENUM('pending','paid','shipped','delivered','cancelled','refunded') NOT NULL,
  currency      CHAR(3) NOT NULL DEFAULT 'EUR',
  total         DECIMAL(12,2) NOT NULL,
  notes         TEXT NULL,
  placed_at     DATETIME NOT NULL,
  updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_orders_customer_placed (customer_id, placed_at),
  KEY ix_orders_status (status),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE order_lines (
  order_id      BIGINT UNSIGNED NOT NULL,
  customer_id   BIGINT UNSIGNED NOT NULL,
  line_no       SMALLINT UNSIGNED NOT NULL,
  product_id    INT UNSIGNED NOT NULL,
  quantity      INT NOT NULL,
  unit_price    DECIMAL(10,2) NOT NULL,
  discount      DOUBLE NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id, line_no),
  KEY ix_order_lines_product (product_id),
  KEY ix_order_lines_customer (customer_id),
  CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE payments (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id      BIGINT UNSIGNED NOT NULL,
  customer_id   BIGINT UNSIGNED NOT NULL,
  method        ENUM('card','paypal','bank_transfer','voucher') NOT NULL,
  amount        DECIMAL(12,2) NOT NULL,
  provider_ref  VARCHAR(64) NULL,
  raw_response  JSON NULL,
  paid_at       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY ix_payments_order (order_id),
  KEY ix_payments_customer (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE inventory (
  warehouse_code CHAR(4) NOT NULL,
  product_id     INT UNSIGNED NOT NULL,
  on_hand        INT NOT NULL,
  reserved       INT NOT NULL DEFAULT 0,
  updated_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (warehouse_code, product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Clickstream with no primary key and no unique key: Vitess cannot import it as it is.
CREATE TABLE events (
  occurred_at   DATETIME(6) NOT NULL,
  customer_id   BIGINT UNSIGNED NULL,
  kind          VARCHAR(32) NOT NULL,
  payload       JSON NULL,
  KEY ix_events_occurred (occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TRIGGER inventory_never_negative BEFORE UPDATE ON inventory FOR EACH ROW
  SET NEW.on_hand = GREATEST(NEW.on_hand, 0);

CREATE VIEW customer_order_totals AS
  SELECT o.customer_id, COUNT(*) AS orders, SUM(o.total) AS spent, MAX(o.placed_at) AS last_order_at
  FROM orders o
  GROUP BY o.customer_id;
