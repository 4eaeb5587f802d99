-- The sample shop's known queries: what its application runs most (one statement per line group).
-- Used by the sharding plan (which columns queries filter and join on) and by the testing stage.

-- customer login: point lookup on a unique, non-sharding column
SELECT id, full_name, loyalty_tier FROM customers WHERE email = 'customer42@example.com';

-- customer profile
SELECT id, email, full_name, country, balance FROM customers WHERE id = 42;

-- order history of a customer
SELECT o.id, o.status, o.total, o.placed_at FROM orders o WHERE o.customer_id = 42 ORDER BY o.placed_at DESC LIMIT 20;

-- one order with its lines and payment (the order page)
SELECT o.id, o.status, l.line_no, l.product_id, l.quantity, l.unit_price
FROM orders o JOIN order_lines l ON l.order_id = o.id AND l.customer_id = o.customer_id
WHERE o.customer_id = 42 AND o.id = 1234;

-- order page reached by order number only (from an e-mail link)
SELECT id, customer_id, status, total FROM orders WHERE id = 1234;

-- payment status
SELECT p.method, p.amount, p.paid_at FROM payments p WHERE p.customer_id = 42 AND p.order_id = 1234;

-- product page
SELECT id, sku, name, price, rating FROM products WHERE id = 7;

-- top products (reporting, crosses every customer)
SELECT l.product_id, SUM(l.quantity) AS units FROM order_lines l GROUP BY l.product_id ORDER BY units DESC LIMIT 10;

-- revenue per country and month (reporting join across customers and orders)
SELECT c.country, DATE_FORMAT(o.placed_at, '%Y-%m') AS month, SUM(o.total) AS revenue
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.status IN ('paid', 'shipped', 'delivered') GROUP BY c.country, month;

-- stock check
SELECT warehouse_code, on_hand - reserved AS available FROM inventory WHERE product_id = 7;
