#!/usr/bin/env bash
# Real servers for the platform on this machine, without Docker: two MariaDB servers (server 1: bank_db1 and
# bank_core; server 2: bank_db2), RabbitMQ and Redis, all bound to 127.0.0.1, data under the checkout.
#
#   deploy/local/servers.sh up [--tls] [--rabbitmq-nodes N] [--mysql-replicas]
#                                               install what is missing, start what is not running (reuses running ones)
#   deploy/local/servers.sh down                stop what 'up' started (by pid file, never by process name)
#   deploy/local/servers.sh status              one line per server; exit 0 when all are up, 3 otherwise
#   deploy/local/servers.sh stop-one NAME       NAME: mysql1 | mysql2 | mysql1-replica | mysql2-replica | rabbitmq |
#                                               rabbitmq2 | rabbitmq3 | redis
#   deploy/local/servers.sh start-one NAME [--tls]
#   deploy/local/servers.sh promote mysqlN      server N's replica becomes its primary (failover, or a switchover if the
#                                               primary still runs); 'start-one mysqlN-replica' then rebuilds the old one
#   deploy/local/servers.sh rebuild mysqlN-replica
#                                               build server N's replica again from a hot backup of its primary
#   deploy/local/servers.sh primary-dir N       the folder of server N's primary (its socket, pid file, data)
#
# --tls (or BANKING_TLS=1): every server speaks TLS only, with certificates from a local CA made by openssl and kept in
# DATA/tls/ (ca.crt; the keys 0600): MariaDB with require_secure_transport, RabbitMQ on AMQPS with the management UI
# over HTTPS, Redis on a TLS port. Plain-text connections are refused. Without it the servers are plain, as before; a
# server running in the other mode is restarted in the mode asked for.
#
# --rabbitmq-nodes N (or BANKING_RABBITMQ_NODES; 1 by default, at most 9): a RabbitMQ cluster of N nodes on loopback.
# Node 1 is the single node of before (its name, ports and data folder); node i is <name>i@<host> with every port
# + (i - 1) and its data in DATA/rabbitmq-i, joined to node 1. All nodes run as the rabbitmq user and share one
# Erlang cookie, the data folder's own (DATA/secrets/rabbitmq-cookie, not the rabbitmq user's). The quorum queues the services declare are then replicated on every node. The count is remembered
# in DATA/rabbitmq-nodes for down, status and start-one.
#
# --mysql-replicas (or BANKING_MYSQL_REPLICAS=1): each MariaDB server gets a replica with semi-synchronous replication
# (AFTER_SYNC), built from a hot backup of its primary; remembered in DATA/mysql-replicas. The MariaDB section below
# says how clients find the primary after a promotion.
#
# Environment: BANKING_DATA_DIR (default <repo>/.local), BANKING_MYSQL1_PORT (3307), BANKING_MYSQL2_PORT (3308),
# BANKING_RABBITMQ_PORT (5672), BANKING_RABBITMQ_MGMT_PORT (15672), BANKING_RABBITMQ_DIST_PORT (25672),
# BANKING_RABBITMQ_NODENAME (banking@localhost), BANKING_REDIS_PORT (6379).
# 'up' generates any missing secret into DATA/secrets/ (0700, files 0600), applies least-privilege users on every
# server (idempotently, also on a data folder from before the users existed) and writes two endpoint files (0600):
#   DATA/servers.env   admin endpoints (MariaDB root, RabbitMQ admin, Redis admin), used by the tests' fixture
#   DATA/services.env  one login per service, the reconciler's read-only one, and one for upstream systems (platform.sh,
#                      the fault suite)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${BANKING_DATA_DIR:-$root/.local}"
MYSQL1_PORT="${BANKING_MYSQL1_PORT:-3307}"
MYSQL2_PORT="${BANKING_MYSQL2_PORT:-3308}"
RABBIT_PORT="${BANKING_RABBITMQ_PORT:-5672}"
RABBIT_MGMT_PORT="${BANKING_RABBITMQ_MGMT_PORT:-15672}"
RABBIT_DIST_PORT="${BANKING_RABBITMQ_DIST_PORT:-25672}"
RABBIT_NODE="${BANKING_RABBITMQ_NODENAME:-banking@localhost}"
REDIS_PORT="${BANKING_REDIS_PORT:-6379}"
secrets="$data/secrets"
tls="$data/tls"
transport=plain transport_asked=0
if [ "${BANKING_TLS:-0}" = 1 ]; then transport=tls transport_asked=1; fi
for argument in "$@"; do [ "$argument" != --tls ] || transport=tls transport_asked=1; done
rabbit_nodes_asked="${BANKING_RABBITMQ_NODES:-}"
mysql_replicas_asked="${BANKING_MYSQL_REPLICAS:-0}"
for argument in "$@"; do [ "$argument" != --mysql-replicas ] || mysql_replicas_asked=1; done
previous=""
for argument in "$@"; do
  if [ "$previous" = --rabbitmq-nodes ]; then rabbit_nodes_asked="$argument"; fi
  case "$argument" in --rabbitmq-nodes=*) rabbit_nodes_asked="${argument#*=}" ;; esac
  previous="$argument"
done
if [ -n "$rabbit_nodes_asked" ] && ! [[ "$rabbit_nodes_asked" =~ ^[1-9]$ ]]; then
  echo "[servers] ERROR: --rabbitmq-nodes takes 1 to 9, not '$rabbit_nodes_asked'" >&2; exit 2
fi
RABBIT_FIRST_NODE="$RABBIT_NODE" RABBIT_FIRST_PORT="$RABBIT_PORT" RABBIT_FIRST_MGMT_PORT="$RABBIT_MGMT_PORT" RABBIT_FIRST_DIST_PORT="$RABBIT_DIST_PORT"

log() { echo "[servers] $*"; }
fail() { echo "[servers] ERROR: $*" >&2; exit 1; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

# A server whose process lives but does not answer (a busy machine, a wedged node) is stopped before a new one starts:
# removing its pid file alone would leave it running, unowned, with its port and data folder.
stop_unanswering() {
  local pidfile="$1" what="$2" pid
  alive "$pidfile" || return 0
  pid="$(cat "$pidfile")"
  log "$what (pid $pid) is running but not answering; stopping it before starting again"
  stop_by_pid_file "$pidfile" "$what"
}

# stop_by_pid_file PIDFILE DESCRIPTION [LIMIT_SECONDS]: TERM, KILL after the limit. CONT as well: a paused process
# handles TERM only once it runs again.
stop_by_pid_file() {
  local pidfile="$1" what="$2" limit="${3:-30}" pid
  if ! alive "$pidfile"; then rm -f "$pidfile"; return; fi
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  kill -CONT "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.2
  done
  rm -f "$pidfile"
  log "$what stopped"
}

# wait_for LIMIT_SECONDS DESCRIPTION LOGFILE COMMAND...
wait_for() {
  local limit="$1" what="$2" logfile="$3"
  shift 3
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "[servers] ERROR: $what did not come up within ${limit}s. Last lines of $logfile:" >&2
      tail -n 25 "$logfile" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.3
  done
}

# ---------------------------------------------------------------- secrets
# Generated once and kept: re-running 'up' must not lock the services out of servers that already know them.
secret_names=(mysql-root mysql-debit mysql-credit mysql-orchestrator mysql-reconciler mysql-replicator
  rabbitmq-admin rabbitmq-gateway rabbitmq-orchestrator rabbitmq-debit rabbitmq-credit rabbitmq-upstream rabbitmq-cookie
  redis-admin redis-gateway jwt-signing-key)

ensure_secrets() {
  mkdir -p "$secrets"
  chmod 0700 "$secrets"
  local name length
  for name in "${secret_names[@]}"; do
    [ -s "$secrets/$name" ] || {
      if [ "$name" = jwt-signing-key ]; then length=64; else length=32; fi
      # Alphanumeric only: the values go into URIs, connection strings and ACL rules without escaping.
      # (head ends tr with SIGPIPE; reading tr through a process substitution keeps that out of pipefail, and its
      # "write error" out of the output.)
      ( umask 077; head -c "$length" < <(LC_ALL=C tr -dc A-Za-z0-9 </dev/urandom 2>/dev/null) > "$secrets/$name" )
    }
    chmod 0600 "$secrets/$name"
  done
}

secret() {
  [ -s "$secrets/$1" ] || ensure_secrets
  cat "$secrets/$1"
}

install_missing() {
  local missing=()
  [ "$transport" = plain ] || command -v openssl >/dev/null || missing+=(openssl)
  command -v mariadbd >/dev/null || missing+=(mariadb-server)
  command -v mariadb-backup >/dev/null || missing+=(mariadb-backup)
  command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fail "missing ${missing[*]}; run as root (or install them) so this script can apt-get install them"
    log "installing ${missing[*]} from Debian packages"
    apt-get update -qq
    # The packages try to start their own services; without an init system that is refused, which is fine.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# ---------------------------------------------------------------- TLS
# A server's mode is written beside its data when it starts, so 'up' can tell a plain server from a TLS one.
started_as() { cat "$1/transport" 2>/dev/null || echo plain; }

# Kept across runs like the secrets: a new CA would make every client's copy of ca.crt worthless.
ensure_tls() {
  [ "$transport" = tls ] || return 0
  mkdir -p "$tls"
  # Readable by all (the RabbitMQ node runs as rabbitmq); each key is 0600 and owned by whoever reads it.
  chmod 0755 "$tls"
  if [ ! -s "$tls/ca.key" ] || [ ! -s "$tls/ca.crt" ]; then
    log "making a local certificate authority in $tls"
    ( umask 077
      openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 3650 -subj "/O=Banking/CN=Banking local CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null ) || fail "openssl could not make the CA"
    rm -f "$tls"/*.csr
  fi
  chmod 0600 "$tls/ca.key"
  chmod 0644 "$tls/ca.crt"
  local name
  for name in mysql1 mysql2 rabbitmq redis services; do ensure_certificate "$name"; done
  chown rabbitmq:rabbitmq "$tls/rabbitmq.key" 2>/dev/null || true
}

# One certificate per server (and one for the services' HTTPS), for the names clients dial here: localhost, 127.0.0.1
# and 127.0.0.2 (the second member of a replicated MariaDB server).
# Made again only when it is missing, expires within a month or was not signed by today's CA.
ensure_certificate() {
  local name="$1"
  if [ -s "$tls/$name.key" ] && [ -s "$tls/$name.crt" ] \
    && openssl verify -CAfile "$tls/ca.crt" "$tls/$name.crt" >/dev/null 2>&1 \
    && openssl x509 -checkend 2592000 -noout -in "$tls/$name.crt" >/dev/null 2>&1 \
    && openssl x509 -noout -text -in "$tls/$name.crt" 2>/dev/null | grep -q "IP Address:127.0.0.2"; then
    return
  fi
  log "making a certificate for $name (signed by the local CA)"
  ( umask 077
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/O=Banking/CN=localhost" \
      -keyout "$tls/$name.key" -out "$tls/$name.csr" 2>/dev/null \
    && openssl x509 -req -sha256 -days 825 -in "$tls/$name.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
      -set_serial "0x$(openssl rand -hex 16)" -out "$tls/$name.crt" \
      -extfile <(printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth") 2>/dev/null
  ) || fail "openssl could not make the certificate for $name"
  rm -f "$tls/$name.csr"
  chmod 0600 "$tls/$name.key"
  chmod 0644 "$tls/$name.crt"
}

# ---------------------------------------------------------------- MariaDB
# With --mysql-replicas every server is a pair of members: member a (DATA/mysqlN, 127.0.0.1, the single server of
# before) and member b (DATA/mysqlN-b, 127.0.0.2). The primary listens on the server's port at its own address; the
# replica listens on that port + 10. Clients list both addresses on the server's port (MySqlConnector's
# LoadBalance=FailOver), so they find whichever member is primary, and a replica can never take a write: it is not on
# that port. DATA/mysqlN-primary names the primary member (a when the file is missing).
mysql_replicated() { [ -f "$data/mysql-replicas" ]; }
mysql_port() { if [ "$1" = 1 ]; then echo "$MYSQL1_PORT"; else echo "$MYSQL2_PORT"; fi; }
mysql_replica_port() { echo $(($(mysql_port "$1") + 10)); }
member_dir() { if [ "$2" = a ]; then echo "$data/mysql$1"; else echo "$data/mysql$1-$2"; fi; }
member_host() { if [ "$1" = a ]; then echo 127.0.0.1; else echo 127.0.0.2; fi; }
other_member() { if [ "$1" = a ]; then echo b; else echo a; fi; }
primary_member() { cat "$data/mysql$1-primary" 2>/dev/null || echo a; }
replica_member() { other_member "$(primary_member "$1")"; }
mysql_dir() { member_dir "$1" "$(primary_member "$1")"; }
member_answers() { alive "$1/mariadbd.pid" && mariadb-admin --connect-timeout=5 --socket="$1/mysqld.sock" ping >/dev/null 2>&1; }
# What a running member was started as: "<role> <transport> <single|replicated>"; a change of any of them restarts it.
member_started_as() { cat "$1/started" 2>/dev/null || echo "primary $(started_as "$1") single"; }
member_wanted() { echo "$1 $transport $(mysql_replicated && echo replicated || echo single)"; }

# Root over a member's socket. Both members of a pair share root's password: a replica is a copy of its primary.
member_root() {
  local dir="$1"
  shift
  MYSQL_PWD="$(secret mysql-root)" mariadb --socket="$dir/mysqld.sock" -uroot "$@"
}
mysql_root() {
  local dir
  dir="$(mysql_dir "$1")"
  shift
  member_root "$dir" "$@"
}

# mysql_member_start N MEMBER primary|replica: one member's mariadbd, until it answers on its socket.
mysql_member_start() {
  local n="$1" member="$2" role="$3" dir host port server_id
  dir="$(member_dir "$n" "$member")"
  host="$(member_host "$member")"
  if [ "$role" = primary ]; then port="$(mysql_port "$n")"; else port="$(mysql_replica_port "$n")"; fi
  server_id="$n"
  [ "$member" = a ] || server_id=$((n + 10))
  stop_unanswering "$dir/mariadbd.pid" "mysql$n member $member"
  rm -f "$dir/mariadbd.pid"
  mkdir -p "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --user=root --datadir="$dir/data" --auth-root-authentication-method=normal \
      > "$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; fail "mariadb-install-db failed for mysql$n"; }
  fi
  # The socket stays open to root (this script); every TCP login must come over TLS.
  local secure=() replication=()
  if [ "$transport" = tls ]; then
    secure=(--ssl-ca="$tls/ca.crt" --ssl-cert="$tls/mysql$n.crt" --ssl-key="$tls/mysql$n.key" --require-secure-transport=ON)
  fi
  if mysql_replicated; then
    # Semi-synchronous, set on both members since either may be primary. AFTER_SYNC: a commit returns to its client
    # only once the replica has it, and before the primary's own engine commits it, so nobody reads a write the
    # replica lacks. With no replica connected the primary carries on alone rather than stopping the bank
    # (wait_no_slave OFF); 'status' says so. A replica that stops answering holds commits for at most 10 s.
    replication=(--rpl-semi-sync-master-enabled=ON --rpl-semi-sync-slave-enabled=ON
      --rpl-semi-sync-master-wait-point=AFTER_SYNC --rpl-semi-sync-master-wait-no-slave=OFF
      --rpl-semi-sync-master-timeout=10000
      --gtid-strict-mode=ON --log-slave-updates=ON --relay-log="$dir/data/relay")
    [ "$role" = primary ] || replication+=(--read-only=ON)
  fi
  # Durability as a bank sets it: redo log flushed at every commit, binary log synced at every commit.
  nohup mariadbd --no-defaults --user=root \
    --datadir="$dir/data" --socket="$dir/mysqld.sock" --pid-file="$dir/mariadbd.pid" \
    --port="$port" --bind-address="$host" --skip-name-resolve \
    --log-error="$dir/error.log" \
    --innodb-flush-log-at-trx-commit=1 --log-bin="$dir/data/binlog" --sync-binlog=1 --server-id="$server_id" \
    --log-bin-trust-function-creators=1 \
    --innodb-buffer-pool-size=256M --max-connections=1000 \
    --transaction-isolation=READ-COMMITTED \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    "${secure[@]}" "${replication[@]}" \
    > "$dir/stdout.log" 2>&1 &
  echo "$transport" > "$dir/transport"
  member_wanted "$role" > "$dir/started"
  wait_for 60 "mysql$n member $member ($host:$port)" "$dir/error.log" mariadb-admin --connect-timeout=5 --socket="$dir/mysqld.sock" ping
}

mysql_member_stop() { stop_by_pid_file "$1/mariadbd.pid" "$2"; }

mysql_up() {
  local n="$1" member dir port
  member="$(primary_member "$n")"
  dir="$(member_dir "$n" "$member")"
  port="$(mysql_port "$n")"
  # An old primary marked at a promotion is never started as primary again.
  [ ! -f "$dir/rebuild" ] || fail "mysql$n's primary member $member was replaced at a promotion; DATA/mysql$n-primary is inconsistent"
  if member_answers "$dir"; then
    if [ "$(member_started_as "$dir")" = "$(member_wanted primary)" ]; then
      mysql_secure "$n"
      log "mysql$n already up ($(member_host "$member"):$port, pid $(cat "$dir/mariadbd.pid"))"
      [ "${mysql_primary_only:-0}" = 1 ] || ! mysql_replicated || mysql_replica_up "$n"
      return
    fi
    log "mysql$n runs as '$(member_started_as "$dir")', '$(member_wanted primary)' was asked for: restarting it"
    mysql_member_stop "$dir" "mysql$n"
  fi
  mysql_member_start "$n" "$member" primary
  mysql_secure "$n"
  log "mysql$n up on $(member_host "$member"):$port (pid $(cat "$dir/mariadbd.pid"), databases: $(mysql_databases "$n"))"
  [ "${mysql_primary_only:-0}" = 1 ] || ! mysql_replicated || mysql_replica_up "$n"
}

# The replica of server N: started again where it left off, or built from a hot backup of the primary when it is new
# or is the old primary of a promotion.
mysql_replica_up() {
  local n="$1" member dir
  mysql_replicated || fail "mysql$n has no replica (start the servers with --mysql-replicas)"
  member="$(replica_member "$n")"
  dir="$(member_dir "$n" "$member")"
  member_answers "$(mysql_dir "$n")" || fail "mysql$n, the primary, is down: start it (or promote its replica) first"
  if member_answers "$dir" && [ "$(member_started_as "$dir")" = "$(member_wanted replica)" ]; then
    log "mysql$n-replica already up ($(member_host "$member"):$(mysql_replica_port "$n"), pid $(cat "$dir/mariadbd.pid"))"
    return
  fi
  mysql_member_stop "$dir" "mysql$n-replica"
  if [ -f "$dir/rebuild" ] || [ ! -f "$dir/data/master.info" ]; then
    mysql_replica_seed "$n" "$member"
  else
    mysql_member_start "$n" "$member" replica
    mysql_replica_wait_running "$n" "$dir"
  fi
  log "mysql$n-replica up on $(member_host "$member"):$(mysql_replica_port "$n") (pid $(cat "$dir/mariadbd.pid")), replicating semi-synchronously"
}

# A hot backup of the primary (mariadb-backup: one consistent point with its GTID) becomes the replica's data, and the
# replica replicates from that GTID on. The same for a first replica and for an old primary rejoining after a
# promotion, whose own data may hold a commit that no client saw acknowledged and the new primary never got.
mysql_replica_seed() {
  local n="$1" member="$2" dir primary staging gtid
  dir="$(member_dir "$n" "$member")"
  primary="$(mysql_dir "$n")"
  staging="$dir.seed"
  command -v mariadb-backup >/dev/null || fail "mariadb-backup is missing (Debian package mariadb-backup)"
  log "mysql$n-replica: building member $member from a hot backup of the primary"
  rm -rf "$staging" "$dir/data" "$dir/master.info"
  mkdir -p "$dir"
  mariadb-backup --defaults-extra-file="$(root_client_file)" --backup --target-dir="$staging" \
    --socket="$primary/mysqld.sock" --user=root > "$dir/seed.log" 2>&1 \
    || { tail -n 20 "$dir/seed.log" >&2; fail "mariadb-backup --backup of mysql$n failed"; }
  mariadb-backup --prepare --target-dir="$staging" >> "$dir/seed.log" 2>&1 \
    || { tail -n 20 "$dir/seed.log" >&2; fail "mariadb-backup --prepare failed"; }
  gtid="$(awk '{ print $3 }' "$staging/mariadb_backup_binlog_info" 2>/dev/null || awk '{ print $3 }' "$staging/xtrabackup_binlog_info")"
  mariadb-backup --move-back --target-dir="$staging" --datadir="$dir/data" >> "$dir/seed.log" 2>&1 \
    || { tail -n 20 "$dir/seed.log" >&2; fail "mariadb-backup --move-back failed"; }
  rm -rf "$staging" "$dir/rebuild"
  mysql_member_start "$n" "$member" replica
  local ssl=""
  [ "$transport" = plain ] || ssl=", MASTER_SSL=1, MASTER_SSL_CA='$tls/ca.crt', MASTER_SSL_VERIFY_SERVER_CERT=1"
  member_root "$dir" -e "SET GLOBAL gtid_slave_pos = '$gtid';
CHANGE MASTER TO MASTER_HOST='$(member_host "$(primary_member "$n")")', MASTER_PORT=$(mysql_port "$n"),
  MASTER_USER='replicator', MASTER_PASSWORD='$(secret mysql-replicator)', MASTER_USE_GTID=slave_pos,
  MASTER_CONNECT_RETRY=1$ssl;
START SLAVE;"
  mysql_replica_wait_running "$n" "$dir"
}

# The option file mariadb-backup reads root's password from (0600), so the password is never on a command line.
root_client_file() {
  ( umask 077; printf '[client]\npassword=%s\n' "$(secret mysql-root)" > "$secrets/mysql-root.cnf" )
  echo "$secrets/mysql-root.cnf"
}

replica_field() { member_root "$1" -e 'SHOW SLAVE STATUS\G' | awk -F': ' -v f="$2" '$1 ~ "^ *"f"$" { print $2 }'; }

mysql_replica_wait_running() {
  local n="$1" dir="$2" deadline=$((SECONDS + 60))
  until [ "$(replica_field "$dir" Slave_IO_Running)" = Yes ] && [ "$(replica_field "$dir" Slave_SQL_Running)" = Yes ]; do
    [ $SECONDS -lt $deadline ] || fail "mysql$n-replica does not replicate: $(replica_field "$dir" Last_IO_Error) $(replica_field "$dir" Last_SQL_Error)"
    sleep 0.5
  done
}

# promote mysqlN: the replica becomes server N's primary. There is never a second primary: the old one is stopped if it
# still runs (a switchover) and is marked to be rebuilt from the new primary before it may rejoin, as a replica.
mysql_promote() {
  local n="$1" old new old_dir new_dir deadline
  mysql_replicated || fail "mysql$n has no replica (start the servers with --mysql-replicas)"
  old="$(primary_member "$n")"
  new="$(other_member "$old")"
  old_dir="$(member_dir "$n" "$old")"
  new_dir="$(member_dir "$n" "$new")"
  member_answers "$new_dir" && [ "$(member_started_as "$new_dir")" = "$(member_wanted replica)" ] \
    || fail "mysql$n-replica is not running: there is nothing to promote"
  mkdir -p "$old_dir"
  touch "$old_dir/rebuild"
  mysql_member_stop "$old_dir" "mysql$n (the old primary)"
  # Everything the replica received is applied before it takes a write. With AFTER_SYNC that includes every commit a
  # client saw acknowledged; a transaction cut off mid-transfer was never acknowledged and is dropped.
  deadline=$((SECONDS + 120))
  until replica_field "$new_dir" Slave_SQL_Running_State | grep -q "read all relay log"; do
    [ "$(replica_field "$new_dir" Slave_SQL_Running)" = Yes ] || fail "mysql$n-replica stopped applying: $(replica_field "$new_dir" Last_SQL_Error)"
    [ $SECONDS -lt $deadline ] || fail "mysql$n-replica has not applied its relay log within 120 s"
    sleep 0.2
  done
  member_root "$new_dir" -e "STOP SLAVE; RESET SLAVE ALL;"
  ( umask 077; echo "$new" > "$data/mysql$n-primary.tmp" ) && mv "$data/mysql$n-primary.tmp" "$data/mysql$n-primary"
  mysql_member_stop "$new_dir" "mysql$n-replica"
  mysql_member_start "$n" "$new" primary
  mysql_secure "$n"
  log "mysql$n: member $new promoted, primary on $(member_host "$new"):$(mysql_port "$n"); the old primary rejoins as replica with: start-one mysql$n-replica"
}

mysql_databases() { if [ "$1" = 1 ]; then echo "bank_db1 bank_core"; else echo "bank_db2"; fi; }

# "user:database:secret" per service on server N; each service reaches its own schema and nothing else.
mysql_service_users() {
  if [ "$1" = 1 ]; then echo "debit_service:bank_db1:mysql-debit orchestrator:bank_core:mysql-orchestrator"
  else echo "credit_service:bank_db2:mysql-credit"; fi
}

# "user:database:secret" of the readers on server N: the orchestrator's reconciliation reads each ledger with this
# login and can change nothing. SELECT on the schema rather than on its four tables: a table grant needs the table,
# and 'up' runs before the ledger services create theirs.
mysql_reader_users() {
  if [ "$1" = 1 ]; then echo "reconciler:bank_db1:mysql-reconciler"
  else echo "reconciler:bank_db2:mysql-reconciler"; fi
}

mysql_secure() {
  local n="$1" dir rootpw
  dir="$(mysql_dir "$n")"
  rootpw="$(secret mysql-root)"
  if ! mysql_root "$n" -e 'SELECT 1' >/dev/null 2>&1; then
    env -u MYSQL_PWD mariadb --socket="$dir/mysqld.sock" -uroot --skip-password -e 'SELECT 1' >/dev/null 2>&1 \
      || fail "mysql$n refuses root with the password in $secrets/mysql-root (and without one); restore that file or remove $dir"
    log "mysql$n: setting the root password (kept in $secrets/mysql-root)"
    env -u MYSQL_PWD mariadb --socket="$dir/mysqld.sock" -uroot --skip-password \
      -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('$rootpw');"
  fi
  local sql="ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('$rootpw');
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '$rootpw';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$rootpw';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
DROP DATABASE IF EXISTS test;
DELETE FROM mysql.db WHERE Db LIKE 'test%';"
  local db entry user secret_name keep="('root','mariadb.sys'"
  for db in $(mysql_databases "$n"); do
    sql="$sql
CREATE DATABASE IF NOT EXISTS $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  done
  for entry in $(mysql_service_users "$n"); do
    IFS=: read -r user db secret_name <<< "$entry"
    keep="$keep,'$user'"
    local pw host
    pw="$(secret "$secret_name")"
    for host in 127.0.0.1 localhost; do
      # Revoke first, so a re-run converges on exactly these rights whatever was granted before.
      sql="$sql
CREATE USER IF NOT EXISTS '$user'@'$host' IDENTIFIED BY '$pw';
ALTER USER '$user'@'$host' IDENTIFIED BY '$pw';
REVOKE ALL PRIVILEGES, GRANT OPTION FROM '$user'@'$host';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, TRIGGER ON \`$db\`.* TO '$user'@'$host';"
    done
  done
  for entry in $(mysql_reader_users "$n"); do
    IFS=: read -r user db secret_name <<< "$entry"
    keep="$keep,'$user'"
    local pw host
    pw="$(secret "$secret_name")"
    for host in 127.0.0.1 localhost; do
      sql="$sql
CREATE USER IF NOT EXISTS '$user'@'$host' IDENTIFIED BY '$pw';
ALTER USER '$user'@'$host' IDENTIFIED BY '$pw';
REVOKE ALL PRIVILEGES, GRANT OPTION FROM '$user'@'$host';
GRANT SELECT ON \`$db\`.* TO '$user'@'$host';"
    done
  done
  if mysql_replicated; then
    # The replica's login to its primary: it may read the binary log and nothing else. It reaches every member, since
    # either member may be the primary (the source address of a loopback connection is 127.0.0.1).
    keep="$keep,'replicator'"
    sql="$sql
CREATE USER IF NOT EXISTS 'replicator'@'127.0.0.1' IDENTIFIED BY '$(secret mysql-replicator)';
ALTER USER 'replicator'@'127.0.0.1' IDENTIFIED BY '$(secret mysql-replicator)';
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'replicator'@'127.0.0.1';
GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'127.0.0.1';"
  fi
  keep="$keep)"
  mysql_root "$n" -e "$sql"
  # Everyone else goes: anonymous users, the old all-powerful 'banking', root on other hosts, the socket-only 'mysql'.
  local drops
  drops="$(mysql_root "$n" -N -B -e "SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';') FROM mysql.user
    WHERE is_role = 'N' AND NOT (User IN $keep AND Host IN ('localhost', '127.0.0.1'));")"
  [ -z "$drops" ] || mysql_root "$n" -e "$drops FLUSH PRIVILEGES;"
}

mysql_down() { mysql_member_stop "$(mysql_dir "$1")" "mysql$1"; }
mysql_replica_down() { mysql_member_stop "$(member_dir "$1" "$(replica_member "$1")")" "mysql$1-replica"; }

mysql_status() {
  local n="$1" dir member semi=""
  member="$(primary_member "$n")"
  dir="$(member_dir "$n" "$member")"
  if member_answers "$dir"; then
    if mysql_replicated; then
      semi="$(member_root "$dir" -N -B -e "SELECT CONCAT(MAX(IF(VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS', VARIABLE_VALUE, NULL)), ', ',
        MAX(IF(VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS', VARIABLE_VALUE, NULL)), ' replica(s)')
        FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME LIKE 'RPL_SEMI_SYNC_MASTER_%'" 2>/dev/null || echo unknown)"
      semi=", member $member, semi-sync $semi"
    fi
    echo "mysql$n: up ($(member_host "$member"):$(mysql_port "$n"), pid $(cat "$dir/mariadbd.pid")$semi)"
  else
    echo "mysql$n: down (port $(mysql_port "$n"))"; return 3
  fi
}

mysql_replica_status() {
  local n="$1" member dir
  member="$(replica_member "$n")"
  dir="$(member_dir "$n" "$member")"
  if member_answers "$dir" && [ "$(replica_field "$dir" Slave_SQL_Running)" = Yes ]; then
    echo "mysql$n-replica: up ($(member_host "$member"):$(mysql_replica_port "$n"), pid $(cat "$dir/mariadbd.pid"), IO $(replica_field "$dir" Slave_IO_Running), $(replica_field "$dir" Seconds_Behind_Master) s behind)"
  else
    echo "mysql$n-replica: down (port $(mysql_replica_port "$n"))"; return 3
  fi
}

# ---------------------------------------------------------------- RabbitMQ
rabbit_index=1
rabbit_dir() { if [ "$rabbit_index" = 1 ]; then echo "$data/rabbitmq"; else echo "$data/rabbitmq-$rabbit_index"; fi; }

# How many nodes: asked for now, or as many as were started last time, or one.
rabbit_node_count() {
  if [ -n "$rabbit_nodes_asked" ]; then echo "$rabbit_nodes_asked"
  elif [ -f "$data/rabbitmq-nodes" ]; then cat "$data/rabbitmq-nodes"
  else echo 1; fi
}

# Makes node I the one the rabbit_* functions act on: its name, ports and folder.
rabbit_select() {
  rabbit_index="$1"
  local offset=$(($1 - 1))
  if [ "$1" = 1 ]; then RABBIT_NODE="$RABBIT_FIRST_NODE"
  else RABBIT_NODE="${RABBIT_FIRST_NODE%%@*}$1@${RABBIT_FIRST_NODE#*@}"; fi
  RABBIT_PORT=$((RABBIT_FIRST_PORT + offset))
  RABBIT_MGMT_PORT=$((RABBIT_FIRST_MGMT_PORT + offset))
  RABBIT_DIST_PORT=$((RABBIT_FIRST_DIST_PORT + offset))
}

# The other nodes, as the services' Bus:ClusterNodes (host:port,...); empty for a single node.
rabbit_cluster_nodes() {
  local count i nodes=""
  count="$(rabbit_node_count)"
  for ((i = 2; i <= count; i++)); do nodes="$nodes${nodes:+,}127.0.0.1:$((RABBIT_FIRST_PORT + i - 1))"; done
  echo "$nodes"
}

# Node I (2..N) is a running member of node 1's cluster: it joined as it booted (classic_config in its rabbitmq.conf).
rabbit_join() {
  wait_for 60 "rabbitmq node $RABBIT_NODE in the cluster of $RABBIT_FIRST_NODE" "$(rabbit_dir)/log/stdout.log" rabbit_is_member
}

rabbit_is_member() {
  timeout 20 rabbitmqctl -n "$RABBIT_FIRST_NODE" -q cluster_status --formatter json 2>/dev/null \
    | tr -d ' ' | grep -o '"running_nodes":\[[^]]*\]' | grep -q "\"$RABBIT_NODE\""
}

rabbit_up_all() {
  local count i
  count="$(rabbit_node_count)"
  # A quorum queue replicated on three nodes needs two of them: a cluster is not shrunk by starting fewer.
  if [ -f "$data/rabbitmq-nodes" ] && [ "$count" -lt "$(cat "$data/rabbitmq-nodes")" ]; then
    fail "the RabbitMQ cluster in $data has $(cat "$data/rabbitmq-nodes") nodes; to start fewer, run 'down' and remove $data/rabbitmq* and $data/rabbitmq-nodes (its queues go with them)"
  fi
  for ((i = 1; i <= count; i++)); do rabbit_select "$i"; rabbit_up; done
  # Quorum queues declared while the cluster was smaller keep their members: give each a replica on every node.
  for ((i = 2; i <= count; i++)); do
    rabbit_select "$i"
    timeout 120 rabbitmq-queues -n "$RABBIT_NODE" -q grow "$RABBIT_NODE" all --vhost-pattern '^banking$' --queue-pattern '.*' >/dev/null \
      || log "rabbitmq$i: could not add its replicas of the existing quorum queues (rabbitmq-queues grow)"
  done
  rabbit_select 1
  echo "$count" > "$data/rabbitmq-nodes"
}

rabbit_down_all() {
  local i
  for ((i = 9; i >= 1; i--)); do
    rabbit_select "$i"
    if [ "$i" = 1 ] || [ -d "$(rabbit_dir)" ]; then rabbit_down; fi
  done
  rabbit_select 1
}

rabbit_status_all() {
  local count i rc=0
  count="$(rabbit_node_count)"
  for ((i = 1; i <= count; i++)); do rabbit_select "$i"; rabbit_status || rc=3; done
  rabbit_select 1
  return $rc
}

rabbit_env() {
  local dir
  dir="$(rabbit_dir)"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_NODENAME="$RABBIT_NODE"
  export RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
  # The port goes in rabbitmq.conf alone: RABBITMQ_NODE_PORT would open a plain listener beside the TLS one.
  unset RABBITMQ_NODE_PORT
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  # The Erlang cookie (whoever holds it controls every node) is this data folder's own, DATA/secrets/rabbitmq-cookie,
  # not the rabbitmq user's: nodes and the CLI both run as that user (the Debian wrapper switches to it) and read
  # the cookie from HOME, which the environment file sets for them.
  export RABBITMQ_CONF_ENV_FILE="$data/rabbitmq-home/rabbitmq-env.conf"
  [ ! -s "$secrets/rabbitmq-cookie" ] || rabbit_home
  # epmd and the Erlang distribution listen on all interfaces by default: keep them on loopback.
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

# DATA/rabbitmq-home: the HOME of this data folder's nodes and of the CLI talking to them, holding the cookie (0400).
rabbit_home() {
  local home="$data/rabbitmq-home"
  mkdir -p "$home"
  install -m 400 -o rabbitmq -g rabbitmq "$secrets/rabbitmq-cookie" "$home/.erlang.cookie"
  printf 'HOME=%s\nexport HOME\n' "$home" > "$home/rabbitmq-env.conf"
  chown rabbitmq:rabbitmq "$home" "$home/rabbitmq-env.conf"
  chmod 0700 "$home"
  chmod 0600 "$home/rabbitmq-env.conf"
}

rabbit_answers() { timeout 20 rabbitmq-diagnostics -n "$RABBIT_NODE" -q check_port_connectivity >/dev/null 2>&1; }

rabbit_up() {
  local dir
  dir="$(rabbit_dir)"
  rabbit_env
  if alive "$dir/rabbitmq.pid" && rabbit_answers; then
    if [ "$(started_as "$dir")" = "$transport" ]; then
      if [ "$rabbit_index" = 1 ]; then rabbit_secure; else rabbit_join; fi
      log "rabbitmq${rabbit_index#1} already up ($RABBIT_NODE, port $RABBIT_PORT, pid $(cat "$dir/rabbitmq.pid"))"
      return
    fi
    log "rabbitmq runs $(started_as "$dir"), $transport was asked for: restarting it"
    rabbit_down
  fi
  stop_unanswering "$dir/rabbitmq.pid" "rabbitmq"
  rm -f "$dir/rabbitmq.pid"
  mkdir -p "$dir/mnesia" "$dir/log"
  if [ "$transport" = tls ]; then
    # Clients are not asked for certificates: they log in with their passwords, over the encrypted connection.
    cat > "$dir/rabbitmq.conf" <<EOF
listeners.tcp = none
listeners.ssl.default = 127.0.0.1:$RABBIT_PORT
ssl_options.cacertfile = $tls/ca.crt
ssl_options.certfile = $tls/rabbitmq.crt
ssl_options.keyfile = $tls/rabbitmq.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
ssl_options.versions.1 = tlsv1.3
ssl_options.versions.2 = tlsv1.2
management.ssl.ip = 127.0.0.1
management.ssl.port = $RABBIT_MGMT_PORT
management.ssl.cacertfile = $tls/ca.crt
management.ssl.certfile = $tls/rabbitmq.crt
management.ssl.keyfile = $tls/rabbitmq.key
management.ssl.versions.1 = tlsv1.3
management.ssl.versions.2 = tlsv1.2
EOF
  else
    cat > "$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT
EOF
  fi
  if [ "$rabbit_index" != 1 ]; then
    # A new node joins node 1 as it boots (a node with data of its own stays in the cluster it is in): joining
    # later by stop_app / join_cluster / start_app left its listener unable to bind the port it had just closed.
    cat >> "$dir/rabbitmq.conf" <<EOF
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = $RABBIT_FIRST_NODE
EOF
  fi
  echo "$transport" > "$dir/transport"
  echo '[rabbitmq_management].' > "$dir/enabled_plugins"
  # rabbitmq-server switches to the rabbitmq user: it must own its folders and reach them through the path.
  chown -R rabbitmq:rabbitmq "$dir"
  local p="$dir"
  while [ "$p" != "/" ]; do chmod o+x "$p" 2>/dev/null || true; p="$(dirname "$p")"; done
  nohup rabbitmq-server > "$dir/log/stdout.log" 2>&1 &
  wait_for 120 "rabbitmq (port $RABBIT_PORT)" "$dir/log/stdout.log" rabbit_answers
  if [ "$rabbit_index" = 1 ]; then rabbit_secure_on_start; else rabbit_join; fi
  log "rabbitmq${rabbit_index#1} ($RABBIT_NODE) up on 127.0.0.1:$RABBIT_PORT, management 127.0.0.1:$RABBIT_MGMT_PORT (pid $(cat "$dir/rabbitmq.pid"), vhost banking)"
}

# configure / write / read patterns on the vhost 'banking', one login per party: deploy/rabbitmq/permissions.
rabbit_permissions() {
  local found
  found="$(awk -F'\t' -v user="$1" '$1 == user { print $2; print $3; print $4 }' "$root/deploy/rabbitmq/permissions")"
  [ -n "$found" ] || fail "no RabbitMQ permissions for '$1' in deploy/rabbitmq/permissions"
  echo "$found"
}

rabbit_users="gateway:rabbitmq-gateway orchestrator:rabbitmq-orchestrator debit-service:rabbitmq-debit credit-service:rabbitmq-credit upstream:rabbitmq-upstream"

rabbit_set_user() {
  local ctl=(rabbitmqctl -n "$RABBIT_NODE" -q) user="$1" pw="$2"
  if "${ctl[@]}" list_users | awk '{print $1}' | grep -qx -- "$user"; then
    "${ctl[@]}" change_password "$user" "$pw" >/dev/null
  else
    "${ctl[@]}" add_user "$user" "$pw" >/dev/null
  fi
}

# What rabbit_secure applied last: the secrets and the permissions file.
rabbit_secured_state() { cat "$secrets"/rabbitmq-* "$root/deploy/rabbitmq/permissions" | sha256sum | cut -d' ' -f1; }

# Node 1 started again by start-one (the fault suite's restarts) skips its thirty CLI calls when it was secured with
# exactly these secrets and permissions before: the users live in its data. 'up' always applies them.
rabbit_secure_on_start() {
  if [ "${rabbit_start_one:-0}" = 1 ] && [ "$(cat "$(rabbit_dir)/secured" 2>/dev/null)" = "$(rabbit_secured_state)" ]; then
    rabbit_wait_management
  else
    rabbit_secure
  fi
}

rabbit_wait_management() {
  local scheme=http trust=()
  if [ "$(started_as "$(rabbit_dir)")" = tls ]; then scheme=https; trust=(--cacert "$tls/ca.crt"); fi
  wait_for 30 "rabbitmq management API (port $RABBIT_MGMT_PORT)" "$(rabbit_dir)/log/stdout.log" \
    curl -fsS --max-time 5 "${trust[@]}" -u "admin:$(secret rabbitmq-admin)" "$scheme://127.0.0.1:$RABBIT_MGMT_PORT/api/overview"
}

rabbit_secure() {
  local ctl=(rabbitmqctl -n "$RABBIT_NODE" -q) entry user secret_name patterns
  "${ctl[@]}" add_vhost banking >/dev/null 2>&1 || true
  rabbit_set_user admin "$(secret rabbitmq-admin)"
  # administrator: the management UI, and the tests create a virtual host per run through the management API.
  "${ctl[@]}" set_user_tags admin administrator >/dev/null
  "${ctl[@]}" set_permissions -p banking admin ".*" ".*" ".*" >/dev/null
  for entry in $rabbit_users; do
    IFS=: read -r user secret_name <<< "$entry"
    rabbit_set_user "$user" "$(secret "$secret_name")"
    # upstream publishes through the management API (README), which needs the 'management' tag; nobody else logs in there.
    if [ "$user" = upstream ]; then "${ctl[@]}" set_user_tags "$user" management >/dev/null
    else "${ctl[@]}" set_user_tags "$user" >/dev/null; fi
    mapfile -t patterns < <(rabbit_permissions "$user")
    "${ctl[@]}" set_permissions -p banking "$user" "${patterns[0]}" "${patterns[1]}" "${patterns[2]}" >/dev/null
  done
  # guest (password guest) and the old administrator 'banking' are gone; the script's CLI needs neither.
  for user in guest banking; do
    if "${ctl[@]}" list_users | awk '{print $1}' | grep -qx -- "$user"; then "${ctl[@]}" delete_user "$user" >/dev/null; fi
  done
  rabbit_wait_management
  rabbit_secured_state > "$(rabbit_dir)/secured"
}

rabbit_down() {
  local dir
  dir="$(rabbit_dir)"
  rabbit_env
  stop_by_pid_file "$dir/rabbitmq.pid" "rabbitmq${rabbit_index#1} ($RABBIT_NODE)"
}

rabbit_status() {
  local dir
  dir="$(rabbit_dir)"
  rabbit_env
  if alive "$dir/rabbitmq.pid" && rabbit_answers; then
    echo "rabbitmq${rabbit_index#1}: up ($RABBIT_NODE, 127.0.0.1:$RABBIT_PORT, management :$RABBIT_MGMT_PORT, pid $(cat "$dir/rabbitmq.pid"))"
  else
    echo "rabbitmq${rabbit_index#1}: down ($RABBIT_NODE, port $RABBIT_PORT)"; return 3
  fi
}

# ---------------------------------------------------------------- Redis
# Bounded: something else holding the port may accept the connection and never answer.
redis_answers() { [ "$(REDISCLI_AUTH="$(secret redis-admin)" redis_cli_within 3 ping 2>/dev/null)" = PONG ]; }

# redis_cli_within SECONDS ARGS...: redis-cli to this script's Redis, over TLS when it was started so.
redis_cli_within() {
  local limit="$1" trust=()
  shift
  if [ "$(started_as "$(redis_dir)")" = tls ]; then trust=(--tls --cacert "$tls/ca.crt"); fi
  timeout "$limit" redis-cli --no-auth-warning -h 127.0.0.1 -p "$REDIS_PORT" "${trust[@]}" "$@"
}

# ACL rules, one user per line: 'default' is the administrator (the tests flush and inspect with it); the gateway's
# rules are in deploy/redis/gateway.acl, shared with the Compose platform.
redis_acl() {
  echo "default on resetpass >$(secret redis-admin) ~* &* +@all"
  echo "gateway on resetpass >$(secret redis-gateway) $(grep -v '^#' "$root/deploy/redis/gateway.acl")"
}

redis_dir() { echo "$data/redis"; }

redis_up() {
  local dir
  dir="$(redis_dir)"
  if alive "$dir/redis.pid" && redis_answers >/dev/null 2>&1; then
    if [ "$(started_as "$dir")" = "$transport" ]; then
      redis_secure_running
      log "redis already up (port $REDIS_PORT, pid $(cat "$dir/redis.pid"))"
      return
    fi
    log "redis runs $(started_as "$dir"), $transport was asked for: restarting it"
    redis_down
  fi
  stop_unanswering "$dir/redis.pid" "redis"
  rm -f "$dir/redis.pid"
  mkdir -p "$dir"
  # The users live in a 0600 file rather than on the command line, which every local user can read in ps.
  ( umask 077
    {
      if [ "$transport" = tls ]; then
        # port 0: no plain-text listener at all. Clients authenticate with their ACL passwords, not certificates.
        printf '%s\n' "port 0" "tls-port $REDIS_PORT" "tls-cert-file $tls/redis.crt" "tls-key-file $tls/redis.key" \
          "tls-ca-cert-file $tls/ca.crt" "tls-auth-clients no"
      else
        echo "port $REDIS_PORT"
      fi
      redis_acl | sed 's/^/user /'
    } > "$dir/redis.conf" )
  echo "$transport" > "$dir/transport"
  # Redis is never the record of anything here (idempotency keys, cache, counters): no persistence.
  redis-server "$dir/redis.conf" --bind 127.0.0.1 --daemonize yes --pidfile "$dir/redis.pid" \
    --dir "$dir" --logfile "$dir/redis.log" --appendonly no --save ""
  wait_for 15 "redis (port $REDIS_PORT)" "$dir/redis.log" redis_answers
  log "redis up on 127.0.0.1:$REDIS_PORT (pid $(cat "$dir/redis.pid"))"
}

# A Redis started before it had users (an old data folder) or with other passwords gets today's rules in place.
redis_secure_running() {
  local line fields
  while IFS= read -r line; do
    read -r -a fields <<< "$line"
    REDISCLI_AUTH="$(secret redis-admin)" redis_cli_within 10 \
      ACL SETUSER "${fields[@]}" >/dev/null 2> >(grep -v '^AUTH failed' >&2)
  done < <(redis_acl)
  # (AUTH fails once on a Redis that had no password yet: its 'default' user gets one just now.)
}

redis_down() {
  local dir
  dir="$(redis_dir)"
  stop_by_pid_file "$dir/redis.pid" redis 15
}

redis_status() {
  local dir
  dir="$(redis_dir)"
  if alive "$dir/redis.pid" && redis_answers >/dev/null 2>&1; then
    echo "redis: up (127.0.0.1:$REDIS_PORT, pid $(cat "$dir/redis.pid"))"
  else
    echo "redis: down (port $REDIS_PORT)"; return 3
  fi
}

write_env() {
  local my1="Server=127.0.0.1;Port=$MYSQL1_PORT" my2="Server=127.0.0.1;Port=$MYSQL2_PORT" amqp="@127.0.0.1:$RABBIT_PORT/banking"
  if mysql_replicated; then
    # Both members, in order: whichever holds the server's port is the primary (see the MariaDB section).
    my1="Server=127.0.0.1,127.0.0.2;Port=$MYSQL1_PORT;LoadBalance=FailOver"
    my2="Server=127.0.0.1,127.0.0.2;Port=$MYSQL2_PORT;LoadBalance=FailOver"
  fi
  local mysql_tls="" amqp_scheme=amqp management=http redis_tls="" tls_lines=""
  if [ "$transport" = tls ]; then
    # VerifyFull: the chain must lead to DATA/tls/ca.crt and the certificate must name 127.0.0.1.
    mysql_tls=";SslMode=VerifyFull;SslCa=$tls/ca.crt"
    amqp_scheme=amqps management=https redis_tls=",ssl=true"
    tls_lines="export BANKING_TLS_CA=\"$tls/ca.crt\""
  fi
  my1="$my1$mysql_tls" my2="$my2$mysql_tls"
  ( umask 077
    cat > "$data/servers.env" <<EOF
# Administrators of the servers: for the tests (which create databases and virtual hosts per run) and operators.
export BANKING_MYSQL1="$my1;User ID=root;Password=$(secret mysql-root)"
export BANKING_MYSQL2="$my2;User ID=root;Password=$(secret mysql-root)"
export BANKING_RABBITMQ="$amqp_scheme://admin:$(secret rabbitmq-admin)$amqp"
export BANKING_RABBITMQ_MANAGEMENT="$management://admin:$(secret rabbitmq-admin)@127.0.0.1:$RABBIT_MGMT_PORT"
export BANKING_REDIS="127.0.0.1:$REDIS_PORT$redis_tls,password=$(secret redis-admin)"
export BANKING_RABBITMQ_CLUSTER_NODES="$(rabbit_cluster_nodes)"
$tls_lines
EOF
    cat > "$data/services.env" <<EOF
# One login per service, each limited to what that service does; BANKING_UPSTREAM_RABBITMQ is for upstream systems.
export BANKING_DEBIT_LEDGER="$my1;Database=bank_db1;User ID=debit_service;Password=$(secret mysql-debit)"
export BANKING_CREDIT_LEDGER="$my2;Database=bank_db2;User ID=credit_service;Password=$(secret mysql-credit)"
export BANKING_ORCHESTRATOR_CORE="$my1;Database=bank_core;User ID=orchestrator;Password=$(secret mysql-orchestrator)"
export BANKING_RECONCILER_DB1="$my1;Database=bank_db1;User ID=reconciler;Password=$(secret mysql-reconciler)"
export BANKING_RECONCILER_DB2="$my2;Database=bank_db2;User ID=reconciler;Password=$(secret mysql-reconciler)"
export BANKING_GATEWAY_RABBITMQ="$amqp_scheme://gateway:$(secret rabbitmq-gateway)$amqp"
export BANKING_ORCHESTRATOR_RABBITMQ="$amqp_scheme://orchestrator:$(secret rabbitmq-orchestrator)$amqp"
export BANKING_DEBIT_RABBITMQ="$amqp_scheme://debit-service:$(secret rabbitmq-debit)$amqp"
export BANKING_CREDIT_RABBITMQ="$amqp_scheme://credit-service:$(secret rabbitmq-credit)$amqp"
export BANKING_UPSTREAM_RABBITMQ="$amqp_scheme://upstream:$(secret rabbitmq-upstream)$amqp"
export BANKING_GATEWAY_REDIS="127.0.0.1:$REDIS_PORT$redis_tls,user=gateway,password=$(secret redis-gateway)"
export BANKING_JWT_SIGNING_KEY_FILE="$secrets/jwt-signing-key"
export BANKING_RABBITMQ_CLUSTER_NODES="$(rabbit_cluster_nodes)"
$tls_lines
EOF
    # The services' own HTTPS (platform.sh --tls): a certificate from the same CA.
    if [ "$transport" = tls ]; then
      echo "export BANKING_HTTPS_CERTIFICATE=\"$tls/services.crt\""
      echo "export BANKING_HTTPS_KEY=\"$tls/services.key\""
    fi >> "$data/services.env"
  )
  chmod 0600 "$data/servers.env" "$data/services.env"
}

one() {
  case "$2" in
    # The primary alone: its replica is started, or rebuilt, by name.
    mysql1|mysql2) mysql_primary_only=1 "mysql_$1" "${2#mysql}" ;;
    mysql1-replica|mysql2-replica) "mysql_replica_$1" "${2:5:1}" ;;
    rabbitmq) rabbit_select 1; "rabbit_$1" ;;
    rabbitmq[2-9]) rabbit_select "${2#rabbitmq}"; "rabbit_$1" ;;
    redis) "redis_$1" ;;
    *) fail "unknown server '$2' (mysql1, mysql2, mysql1-replica, mysql2-replica, rabbitmq, rabbitmq2..9, redis)" ;;
  esac
}

case "${1:-}" in
  up)
    install_missing
    mkdir -p "$data"
    ensure_secrets
    ensure_tls
    if [ "$mysql_replicas_asked" = 1 ]; then touch "$data/mysql-replicas"; fi
    mysql_up 1
    mysql_up 2
    redis_up
    rabbit_up_all
    write_env
    log "endpoints written to $data/servers.env (administrators) and $data/services.env (one login per service)"
    [ "$transport" = plain ] || log "TLS only; clients trust $tls/ca.crt"
    ;;
  down)
    rabbit_down_all
    redis_down
    if mysql_replicated; then mysql_replica_down 2; mysql_replica_down 1; fi
    mysql_down 2
    mysql_down 1
    ;;
  status)
    rc=0
    mysql_status 1 || rc=3
    mysql_status 2 || rc=3
    if mysql_replicated; then mysql_replica_status 1 || rc=3; mysql_replica_status 2 || rc=3; fi
    rabbit_status_all || rc=3
    redis_status || rc=3
    exit $rc
    ;;
  stop-one) one down "${2:-}" ;;
  start-one)
    # A server stopped on purpose (the fault suite) comes back as it was, unless a mode is asked for.
    if [ "$transport_asked" = 0 ]; then
      case "${2:-}" in
        mysql1|mysql2) transport="$(started_as "$(mysql_dir "${2#mysql}")")" ;;
        mysql1-replica|mysql2-replica) transport="$(started_as "$(mysql_dir "${2:5:1}")")" ;;
        rabbitmq) transport="$(started_as "$(rabbit_dir)")" ;;
        rabbitmq[2-9]) rabbit_select "${2#rabbitmq}"; transport="$(started_as "$(rabbit_dir)")"; rabbit_select 1 ;;
        redis) transport="$(started_as "$(redis_dir)")" ;;
      esac
    fi
    rabbit_start_one=1
    mkdir -p "$data"; ensure_secrets; ensure_tls; one up "${2:-}" ;;
  rebuild)
    # A replica whose data no longer belongs to its primary (a restore replaced the primary's) is built again from it.
    case "${2:-}" in
      mysql1-replica|mysql2-replica)
        mysql_replicated || fail "mysql${2:5:1} has no replica (start the servers with --mysql-replicas)"
        mkdir -p "$data"; ensure_secrets; ensure_tls
        replica_dir="$(member_dir "${2:5:1}" "$(replica_member "${2:5:1}")")"
        mkdir -p "$replica_dir"
        touch "$replica_dir/rebuild"
        mysql_replica_up "${2:5:1}" ;;
      *) fail "rebuild takes mysql1-replica or mysql2-replica, not '${2:-}'" ;;
    esac ;;
  promote)
    case "${2:-}" in mysql1|mysql2) mkdir -p "$data"; ensure_secrets; ensure_tls; mysql_promote "${2#mysql}"; write_env ;;
      *) fail "promote takes mysql1 or mysql2, not '${2:-}'" ;; esac ;;
  primary-dir)
    case "${2:-}" in 1|2) mysql_dir "$2" ;; *) fail "primary-dir takes 1 or 2" ;; esac ;;
  *)
    echo "usage: $0 up [--tls] [--rabbitmq-nodes N] [--mysql-replicas]|down|status|stop-one NAME|start-one NAME [--tls]|promote mysqlN|rebuild mysqlN-replica|primary-dir N" >&2
    exit 2
    ;;
esac
