# Sourced by the mysql:8.0 entrypoint on first start of server 2 (bank_db2 is MYSQL_DATABASE): the credit service's
# user with rights on bank_db2 only, no GRANT OPTION, nothing global.
docker_process_sql --database=mysql <<SQL
CREATE USER IF NOT EXISTS 'credit_service'@'%' IDENTIFIED BY '${MYSQL_CREDIT_PASSWORD:?}';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, TRIGGER ON \`bank_db2\`.* TO 'credit_service'@'%';
-- The reconciler (the orchestrator's reconciliation) reads this ledger and can change nothing.
CREATE USER IF NOT EXISTS 'reconciler'@'%' IDENTIFIED BY '${MYSQL_RECONCILER_PASSWORD:?}';
GRANT SELECT ON \`bank_db2\`.* TO 'reconciler'@'%';
DROP DATABASE IF EXISTS test;
SQL
