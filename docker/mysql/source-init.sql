-- Accounts on the MySQL 8.4 source of docker-compose.yaml (the schema comes from include/sample/shop/schema.sql).
-- Passwords are set by docker/mysql/source-accounts.sh from the environment, never kept here.
SET sql_log_bin = 0;
CREATE DATABASE IF NOT EXISTS `_vt`;
