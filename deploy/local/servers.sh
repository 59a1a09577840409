#!/usr/bin/env bash
# Real servers for the platform on this machine, without Docker: two MariaDB servers (server 1: bank_db1 and
# bank_core; server 2: bank_db2), RabbitMQ and Redis, all bound to 127.0.0.1, data under the checkout.
#
#   deploy/local/servers.sh up                  install what is missing, start what is not running (reuses running ones)
#   deploy/local/servers.sh down                stop what 'up' started (by pid file, never by process name)
#   deploy/local/servers.sh status              one line per server; exit 0 when all are up, 3 otherwise
#   deploy/local/servers.sh stop-one NAME       NAME: mysql1 | mysql2 | rabbitmq | redis
#   deploy/local/servers.sh start-one NAME
#
# Environment: BANKING_DATA_DIR (default <repo>/.local), BANKING_MYSQL1_PORT (3307), BANKING_MYSQL2_PORT (3308),
# BANKING_RABBITMQ_PORT (5672), BANKING_RABBITMQ_MGMT_PORT (15672), BANKING_RABBITMQ_DIST_PORT (25672),
# BANKING_RABBITMQ_NODENAME (banking@localhost), BANKING_REDIS_PORT (6379).
# 'up' writes DATA/servers.env with the endpoints (BANKING_MYSQL1, ..., used by the tests).
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
USER_NAME=banking
USER_PASSWORD=banking

log() { echo "[servers] $*"; }
fail() { echo "[servers] ERROR: $*" >&2; exit 1; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

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

install_missing() {
  local missing=()
  command -v mariadbd >/dev/null || missing+=(mariadb-server)
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

# ---------------------------------------------------------------- MariaDB
mysql_dir() { echo "$data/mysql$1"; }
mysql_port() { if [ "$1" = 1 ]; then echo "$MYSQL1_PORT"; else echo "$MYSQL2_PORT"; fi; }

mysql_up() {
  local n="$1" dir port
  dir="$(mysql_dir "$n")"
  port="$(mysql_port "$n")"
  if alive "$dir/mariadbd.pid" && mariadb-admin --connect-timeout=5 --socket="$dir/mysqld.sock" ping >/dev/null 2>&1; then
    log "mysql$n already up (port $port, pid $(cat "$dir/mariadbd.pid"))"
    return
  fi
  rm -f "$dir/mariadbd.pid"
  mkdir -p "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --user=root --datadir="$dir/data" --auth-root-authentication-method=normal \
      > "$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; fail "mariadb-install-db failed for mysql$n"; }
  fi
  # Durability as a bank sets it: redo log flushed at every commit, binary log synced at every commit.
  nohup mariadbd --no-defaults --user=root \
    --datadir="$dir/data" --socket="$dir/mysqld.sock" --pid-file="$dir/mariadbd.pid" \
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
    --log-error="$dir/error.log" \
    --innodb-flush-log-at-trx-commit=1 --log-bin="$dir/data/binlog" --sync-binlog=1 --server-id="$n" \
    --innodb-buffer-pool-size=256M --max-connections=1000 \
    --transaction-isolation=READ-COMMITTED \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    > "$dir/stdout.log" 2>&1 &
  wait_for 30 "mysql$n (port $port)" "$dir/error.log" mariadb-admin --connect-timeout=5 --socket="$dir/mysqld.sock" ping
  local databases
  if [ "$n" = 1 ]; then databases="bank_db1 bank_core"; else databases="bank_db2"; fi
  local sql="CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$USER_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS '$USER_NAME'@'localhost' IDENTIFIED BY '$USER_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'localhost' WITH GRANT OPTION;"
  for db in $databases; do
    sql="$sql
CREATE DATABASE IF NOT EXISTS $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  done
  mariadb --socket="$dir/mysqld.sock" -uroot -e "$sql"
  log "mysql$n up on 127.0.0.1:$port (pid $(cat "$dir/mariadbd.pid"), databases: $databases)"
}

mysql_down() {
  local n="$1" dir pid
  dir="$(mysql_dir "$n")"
  if ! alive "$dir/mariadbd.pid"; then rm -f "$dir/mariadbd.pid"; return; fi
  pid="$(cat "$dir/mariadbd.pid")"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.2
  done
  rm -f "$dir/mariadbd.pid"
  log "mysql$n stopped"
}

mysql_status() {
  local n="$1" dir
  dir="$(mysql_dir "$n")"
  if alive "$dir/mariadbd.pid" && mariadb-admin --connect-timeout=5 --socket="$dir/mysqld.sock" ping >/dev/null 2>&1; then
    echo "mysql$n: up (127.0.0.1:$(mysql_port "$n"), pid $(cat "$dir/mariadbd.pid"))"
  else
    echo "mysql$n: down (port $(mysql_port "$n"))"; return 3
  fi
}

# ---------------------------------------------------------------- RabbitMQ
rabbit_dir() { echo "$data/rabbitmq"; }

rabbit_env() {
  local dir
  dir="$(rabbit_dir)"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_NODENAME="$RABBIT_NODE"
  export RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  # epmd and the Erlang distribution listen on all interfaces by default: keep them on loopback.
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rabbit_answers() { timeout 20 rabbitmq-diagnostics -n "$RABBIT_NODE" -q check_port_connectivity >/dev/null 2>&1; }

rabbit_up() {
  local dir
  dir="$(rabbit_dir)"
  rabbit_env
  if alive "$dir/rabbitmq.pid" && rabbit_answers; then
    log "rabbitmq already up (port $RABBIT_PORT, pid $(cat "$dir/rabbitmq.pid"))"
    return
  fi
  rm -f "$dir/rabbitmq.pid"
  mkdir -p "$dir/mnesia" "$dir/log"
  cat > "$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT
EOF
  echo '[rabbitmq_management].' > "$dir/enabled_plugins"
  # rabbitmq-server switches to the rabbitmq user: it must own its folders and reach them through the path.
  chown -R rabbitmq:rabbitmq "$dir"
  local p="$dir"
  while [ "$p" != "/" ]; do chmod o+x "$p" 2>/dev/null || true; p="$(dirname "$p")"; done
  # The CLI (as root) must present the same Erlang cookie as the node (which runs as rabbitmq).
  if [ -f /var/lib/rabbitmq/.erlang.cookie ] && ! cmp -s /var/lib/rabbitmq/.erlang.cookie "$HOME/.erlang.cookie" 2>/dev/null; then
    install -m 400 /var/lib/rabbitmq/.erlang.cookie "$HOME/.erlang.cookie"
  fi
  nohup rabbitmq-server > "$dir/log/stdout.log" 2>&1 &
  wait_for 120 "rabbitmq (port $RABBIT_PORT)" "$dir/log/stdout.log" rabbit_answers
  if [ ! -f "$HOME/.erlang.cookie" ] && [ -f /var/lib/rabbitmq/.erlang.cookie ]; then
    install -m 400 /var/lib/rabbitmq/.erlang.cookie "$HOME/.erlang.cookie"
  fi
  local ctl=(rabbitmqctl -n "$RABBIT_NODE" -q)
  "${ctl[@]}" add_vhost banking >/dev/null 2>&1 || true
  if "${ctl[@]}" list_users | grep -q "^$USER_NAME\b"; then
    "${ctl[@]}" change_password "$USER_NAME" "$USER_PASSWORD" >/dev/null
  else
    "${ctl[@]}" add_user "$USER_NAME" "$USER_PASSWORD" >/dev/null
  fi
  # administrator: the tests create a virtual host per run through the management API.
  "${ctl[@]}" set_user_tags "$USER_NAME" administrator >/dev/null
  "${ctl[@]}" set_permissions -p banking "$USER_NAME" ".*" ".*" ".*" >/dev/null
  wait_for 30 "rabbitmq management API (port $RABBIT_MGMT_PORT)" "$dir/log/stdout.log" \
    curl -fsS --max-time 5 -u "$USER_NAME:$USER_PASSWORD" "http://127.0.0.1:$RABBIT_MGMT_PORT/api/overview"
  log "rabbitmq up on 127.0.0.1:$RABBIT_PORT, management 127.0.0.1:$RABBIT_MGMT_PORT (pid $(cat "$dir/rabbitmq.pid"), vhost banking)"
}

rabbit_down() {
  local dir pid
  dir="$(rabbit_dir)"
  rabbit_env
  if ! alive "$dir/rabbitmq.pid"; then rm -f "$dir/rabbitmq.pid"; return; fi
  pid="$(cat "$dir/rabbitmq.pid")"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.2
  done
  rm -f "$dir/rabbitmq.pid"
  log "rabbitmq stopped"
}

rabbit_status() {
  local dir
  dir="$(rabbit_dir)"
  rabbit_env
  if alive "$dir/rabbitmq.pid" && rabbit_answers; then
    echo "rabbitmq: up (127.0.0.1:$RABBIT_PORT, management :$RABBIT_MGMT_PORT, pid $(cat "$dir/rabbitmq.pid"))"
  else
    echo "rabbitmq: down (port $RABBIT_PORT)"; return 3
  fi
}

# ---------------------------------------------------------------- Redis
# Bounded: something else holding the port may accept the connection and never answer.
redis_answers() { [ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

redis_dir() { echo "$data/redis"; }

redis_up() {
  local dir
  dir="$(redis_dir)"
  if alive "$dir/redis.pid" && redis_answers >/dev/null 2>&1; then
    log "redis already up (port $REDIS_PORT, pid $(cat "$dir/redis.pid"))"
    return
  fi
  rm -f "$dir/redis.pid"
  mkdir -p "$dir"
  # Redis is never the record of anything here (idempotency keys, cache, counters): no persistence.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --pidfile "$dir/redis.pid" \
    --dir "$dir" --logfile "$dir/redis.log" --appendonly no --save ""
  wait_for 15 "redis (port $REDIS_PORT)" "$dir/redis.log" redis_answers
  log "redis up on 127.0.0.1:$REDIS_PORT (pid $(cat "$dir/redis.pid"))"
}

redis_down() {
  local dir pid
  dir="$(redis_dir)"
  if ! alive "$dir/redis.pid"; then rm -f "$dir/redis.pid"; return; fi
  pid="$(cat "$dir/redis.pid")"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.1
  done
  rm -f "$dir/redis.pid"
  log "redis stopped"
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
  cat > "$data/servers.env" <<EOF
export BANKING_MYSQL1="Server=127.0.0.1;Port=$MYSQL1_PORT;User ID=$USER_NAME;Password=$USER_PASSWORD"
export BANKING_MYSQL2="Server=127.0.0.1;Port=$MYSQL2_PORT;User ID=$USER_NAME;Password=$USER_PASSWORD"
export BANKING_RABBITMQ="amqp://$USER_NAME:$USER_PASSWORD@127.0.0.1:$RABBIT_PORT/banking"
export BANKING_RABBITMQ_MANAGEMENT="http://$USER_NAME:$USER_PASSWORD@127.0.0.1:$RABBIT_MGMT_PORT"
export BANKING_REDIS="127.0.0.1:$REDIS_PORT"
EOF
}

one() {
  case "$2" in
    mysql1) "mysql_$1" 1 ;;
    mysql2) "mysql_$1" 2 ;;
    rabbitmq) "rabbit_$1" ;;
    redis) "redis_$1" ;;
    *) fail "unknown server '$2' (mysql1, mysql2, rabbitmq, redis)" ;;
  esac
}

case "${1:-}" in
  up)
    install_missing
    mkdir -p "$data"
    mysql_up 1
    mysql_up 2
    redis_up
    rabbit_up
    write_env
    log "endpoints written to $data/servers.env"
    ;;
  down)
    rabbit_down
    redis_down
    mysql_down 2
    mysql_down 1
    ;;
  status)
    rc=0
    mysql_status 1 || rc=3
    mysql_status 2 || rc=3
    rabbit_status || rc=3
    redis_status || rc=3
    exit $rc
    ;;
  stop-one) one down "${2:-}" ;;
  start-one) mkdir -p "$data"; one up "${2:-}" ;;
  *)
    echo "usage: $0 up|down|status|stop-one NAME|start-one NAME" >&2
    exit 2
    ;;
esac
