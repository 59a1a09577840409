# Sourced by the mysql:8.0 entrypoint on first start of server 1 (bank_db1 is MYSQL_DATABASE): the orchestrator's
# bank_core and one user per service with rights on its own schema only, no GRANT OPTION, nothing global.
docker_process_sql --database=mysql <<SQL
CREATE DATABASE IF NOT EXISTS bank_core CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'debit_service'@'%' IDENTIFIED BY '${MYSQL_DEBIT_PASSWORD:?}';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, TRIGGER ON \`bank_db1\`.* TO 'debit_service'@'%';
CREATE USER IF NOT EXISTS 'orchestrator'@'%' IDENTIFIED BY '${MYSQL_ORCHESTRATOR_PASSWORD:?}';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, TRIGGER ON \`bank_core\`.* TO 'orchestrator'@'%';
-- The reconciler (the orchestrator's reconciliation) reads this ledger and can change nothing.
CREATE USER IF NOT EXISTS 'reconciler'@'%' IDENTIFIED BY '${MYSQL_RECONCILER_PASSWORD:?}';
GRANT SELECT ON \`bank_db1\`.* TO 'reconciler'@'%';
DROP DATABASE IF EXISTS test;
SQL
