#!/bin/bash
# Creates pocflow's accounts on the compose source from the environment (runs once, at first start).
set -euo pipefail
mysql -uroot -p"${MYSQL_ROOT_PASSWORD}" <<SQL
SET sql_log_bin = 0;
CREATE USER IF NOT EXISTS 'pocflow_ro'@'%' IDENTIFIED BY '${POCFLOW_SOURCE_READONLY_PASSWORD}';
GRANT SELECT, SHOW VIEW, PROCESS, REPLICATION CLIENT ON *.* TO 'pocflow_ro'@'%';
GRANT TRIGGER, EVENT ON \`shop\`.* TO 'pocflow_ro'@'%';
CREATE USER IF NOT EXISTS 'pocflow_import'@'%' IDENTIFIED BY '${POCFLOW_SOURCE_IMPORT_PASSWORD}';
GRANT SELECT, SHOW VIEW, PROCESS, RELOAD, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'pocflow_import'@'%';
GRANT ALL PRIVILEGES ON \`_vt\`.* TO 'pocflow_import'@'%';
SQL
