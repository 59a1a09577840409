-- Server 1 holds the source ledger and the orchestrator's core database.
CREATE DATABASE IF NOT EXISTS bank_core CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON bank_core.* TO 'banking'@'%';
