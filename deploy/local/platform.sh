#!/usr/bin/env bash
# The whole platform on this machine, without Docker: local servers (servers.sh), then the four services
# built in Release and run as background processes with their pid files and logs under the data folder.
#
#   deploy/local/platform.sh start [--tls] [--rabbitmq-nodes N] [--mysql-replicas] [--instances N]
#                                     build, start servers and services, migrate, seed demo accounts, print URLs
#                                     (--rabbitmq-nodes 3: a three-node RabbitMQ cluster, see servers.sh;
#                                     --mysql-replicas: a semi-synchronous replica of each MariaDB server;
#                                     --instances 2: two of every service, the second on each port + 10)
#   deploy/local/platform.sh stop     stop the services (by pid file), then the servers
#   deploy/local/platform.sh status   one line per service and server
#   deploy/local/platform.sh token --role channel [--client-no C0001] [--minutes 60]
#                                     a token signed with the platform's key (DATA/secrets/jwt-signing-key)
#
# The services run in Production, each with its own logins from DATA/services.env (written by servers.sh), and
# accept tokens signed with the key servers.sh generated on first start; the committed development key is refused.
# Ports (overridable): gateway 5000, orchestrator + dashboard 5001, debit service 5002, credit service 5003.
# --tls (or BANKING_TLS=1): the servers speak TLS only (servers.sh up --tls), the services verify them against
# DATA/tls/ca.crt, and the gateway and the orchestrator (dashboard) serve HTTPS with a certificate from that CA
# (curl --cacert DATA/tls/ca.crt https://...). The debit and credit services answer only probes and metrics: plain HTTP.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${BANKING_DATA_DIR:-$root/.local}"
pids="$data/pids"
logs="$data/logs"

GATEWAY_PORT="${BANKING_GATEWAY_PORT:-5000}"
ORCHESTRATOR_PORT="${BANKING_ORCHESTRATOR_PORT:-5001}"
DEBIT_PORT="${BANKING_DEBIT_PORT:-5002}"
CREDIT_PORT="${BANKING_CREDIT_PORT:-5003}"
READY_LIMIT="${BANKING_READY_LIMIT:-90}"

services=(Banking.DebitService Banking.CreditService Banking.Orchestrator Banking.Gateway)

port_of() {
  case "$1" in
    Banking.Gateway) echo "$GATEWAY_PORT" ;;
    Banking.Orchestrator) echo "$ORCHESTRATOR_PORT" ;;
    Banking.DebitService) echo "$DEBIT_PORT" ;;
    Banking.CreditService) echo "$CREDIT_PORT" ;;
  esac
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

services_env="$data/services.env"

# HTTPS for the two services people and channels call, when servers.sh made them a certificate (--tls).
serves_https() {
  case "$1" in Banking.Gateway|Banking.Orchestrator) ;; *) return 1 ;; esac
  [ -r "$services_env" ] && grep -q '^export BANKING_HTTPS_CERTIFICATE=' "$services_env"
}

scheme_of() { if serves_https "$1"; then echo https; else echo http; fi; }

# curl that trusts the local CA when there is one.
curl_local() {
  if [ -r "$data/tls/ca.crt" ] && grep -q '^export BANKING_TLS_CA=' "$services_env" 2>/dev/null; then
    curl --cacert "$data/tls/ca.crt" "$@"
  else
    curl "$@"
  fi
}

# One definition of how a service is run, used by start and by the security specs (tests/Banking.Security.Tests):
# NAME=value lines, with the logins of that service only.
service_env() {
  local name="$1"
  [ -r "$services_env" ] || { echo "ERROR: $services_env is missing; deploy/local/servers.sh up writes it" >&2; exit 1; }
  # What a plain platform's file lacks must not come from the caller's shell.
  unset BANKING_TLS_CA BANKING_HTTPS_CERTIFICATE BANKING_HTTPS_KEY BANKING_RABBITMQ_CLUSTER_NODES
  # shellcheck disable=SC1090
  source "$services_env"
  echo "ASPNETCORE_ENVIRONMENT=Production"
  echo "DOTNET_ENVIRONMENT=Production"
  echo "Jwt__SigningKeyFile=$BANKING_JWT_SIGNING_KEY_FILE"
  # The servers' certificates are judged against this CA only (RabbitMQ, Redis; MySQL names it in its connection string).
  if [ -n "${BANKING_TLS_CA:-}" ]; then echo "Tls__CaCertificate=$BANKING_TLS_CA"; fi
  # The broker's other nodes (servers.sh up --rabbitmq-nodes N): a service reconnects to a surviving one.
  if [ -n "${BANKING_RABBITMQ_CLUSTER_NODES:-}" ]; then echo "Bus__ClusterNodes=$BANKING_RABBITMQ_CLUSTER_NODES"; fi
  if serves_https "$name"; then
    echo "Kestrel__Certificates__Default__Path=$BANKING_HTTPS_CERTIFICATE"
    echo "Kestrel__Certificates__Default__KeyPath=$BANKING_HTTPS_KEY"
  fi
  case "$name" in
    Banking.DebitService)
      echo "ConnectionStrings__RabbitMq=$BANKING_DEBIT_RABBITMQ"
      echo "ConnectionStrings__Ledger=$BANKING_DEBIT_LEDGER"; echo "Ledger__SeedDemoAccounts=true" ;;
    Banking.CreditService)
      echo "ConnectionStrings__RabbitMq=$BANKING_CREDIT_RABBITMQ"
      echo "ConnectionStrings__Ledger=$BANKING_CREDIT_LEDGER"; echo "Ledger__SeedDemoAccounts=true" ;;
    Banking.Orchestrator)
      echo "ConnectionStrings__RabbitMq=$BANKING_ORCHESTRATOR_RABBITMQ"
      echo "ConnectionStrings__Core=$BANKING_ORCHESTRATOR_CORE"
      echo "ConnectionStrings__ReconciliationDb1=$BANKING_RECONCILER_DB1"
      echo "ConnectionStrings__ReconciliationDb2=$BANKING_RECONCILER_DB2" ;;
    Banking.Gateway)
      echo "ConnectionStrings__RabbitMq=$BANKING_GATEWAY_RABBITMQ"
      echo "ConnectionStrings__Redis=$BANKING_GATEWAY_REDIS" ;;
  esac
}

# The gateway's token command with the platform's key: whoever can read that file can mint tokens anyway.
mint_token() {
  local dll="$root/services/Banking.Gateway/bin/Release/net10.0/Banking.Gateway.dll"
  [ -f "$dll" ] || { echo "ERROR: $dll is not built; run deploy/local/platform.sh start (or dotnet build -c Release) first" >&2; exit 1; }
  [ -r "$services_env" ] || { echo "ERROR: $services_env is missing; run deploy/local/platform.sh start first" >&2; exit 1; }
  # shellcheck disable=SC1090
  source "$services_env"
  cd "$(dirname "$dll")"
  ASPNETCORE_ENVIRONMENT=Production Jwt__SigningKeyFile="$BANKING_JWT_SIGNING_KEY_FILE" dotnet "$dll" token "$@"
}

# Instance I of a service (--instances N): instance 1 is the one of before; instance i listens on its port + 10 (i - 1)
# and has its own pid file and log (NAME-i). Every instance is a competing consumer of the service's queues.
instance_name() { if [ "$2" = 1 ]; then echo "$1"; else echo "$1-$2"; fi; }
instance_port() { echo $(($(port_of "$1") + 10 * ($2 - 1))); }

# How many instances: asked for now, or as many as were started last time, or one.
instance_count() {
  if [ -n "${instances_asked:-}" ]; then echo "$instances_asked"
  elif [ -f "$data/instances" ]; then cat "$data/instances"
  else echo 1; fi
}

start_service() {
  local name="$1" instance="${2:-1}" port pidfile dll label
  port="$(instance_port "$name" "$instance")"
  label="$(instance_name "$name" "$instance")"
  pidfile="$pids/$label.pid"
  dll="$root/services/$name/bin/Release/net10.0/$name.dll"
  if alive "$pidfile"; then
    echo "$label already running (pid $(cat "$pidfile"), port $port)"
    return
  fi
  (
    cd "$(dirname "$dll")"
    while IFS= read -r kv; do export "${kv?}"; done < <(service_env "$name")
    export ASPNETCORE_URLS="$(scheme_of "$name")://127.0.0.1:$port"
    export MASSTRANSIT_USAGE_TELEMETRY=false
    nohup dotnet "$dll" >> "$logs/$label.log" 2>&1 &
    echo $! > "$pidfile"
  )
  echo "$label started (pid $(cat "$pidfile"), port $port, log $logs/$label.log)"
}

wait_ready() {
  local name="$1" instance="${2:-1}" port deadline label
  port="$(instance_port "$name" "$instance")"
  label="$(instance_name "$name" "$instance")"
  deadline=$((SECONDS + READY_LIMIT))
  until curl_local -fs -o /dev/null "$(scheme_of "$name")://127.0.0.1:$port/health/ready"; do
    if ! alive "$pids/$label.pid"; then
      echo "ERROR: $label exited before it was ready; last lines of $logs/$label.log:" >&2
      tail -n 30 "$logs/$label.log" >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "ERROR: $name was not ready on port $port within ${READY_LIMIT}s; see $logs/$name.log" >&2
      curl_local -sS "$(scheme_of "$name")://127.0.0.1:$port/health/ready" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "$label ready on $(scheme_of "$name")://127.0.0.1:$port"
}

stop_service() {
  local name="$1" pidfile pid
  pidfile="$pids/$name.pid"
  if ! alive "$pidfile"; then
    rm -f "$pidfile"
    return
  fi
  pid="$(cat "$pidfile")"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name did not stop within 30 s; killing pid $pid" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "$name stopped"
}

cmd="${1:-}"
case "$cmd" in
  start)
    command -v dotnet >/dev/null || { echo "ERROR: the .NET SDK (dotnet) is required" >&2; exit 1; }
    mkdir -p "$pids" "$logs"
    tls_flag=()
    server_flags=()
    shift
    previous=""
    for argument in "$@"; do
      if [ "$previous" = --instances ]; then instances_asked="$argument"; previous=""; continue; fi
      case "$argument" in
        --tls) tls_flag=(--tls) ;;
        --instances) ;;
        *) server_flags+=("$argument") ;;
      esac
      previous="$argument"
    done
    if [ -n "${instances_asked:-}" ] && ! [[ "$instances_asked" =~ ^[1-9]$ ]]; then
      echo "ERROR: --instances takes 1 to 9, not '$instances_asked'" >&2; exit 2
    fi
    if [ "${BANKING_TLS:-0}" = 1 ]; then tls_flag=(--tls); fi
    "$here/servers.sh" up "${tls_flag[@]}" "${server_flags[@]}"
    echo "Building the services (Release)..."
    dotnet build "$root/Banking.sln" -c Release -nologo -v quiet > "$logs/build.log" 2>&1 \
      || { echo "ERROR: build failed; see $logs/build.log" >&2; tail -n 30 "$logs/build.log" >&2; exit 1; }
    # Ledger services first: they migrate and seed their databases; the orchestrator then the gateway.
    count="$(instance_count)"
    # Instances beyond the count asked for, left from a larger start, are stopped.
    for s in "${services[@]}"; do for ((i = count + 1; i <= 9; i++)); do stop_service "$(instance_name "$s" "$i")"; done; done
    # The first instance of each first (it migrates its database), then the others.
    for s in "${services[@]}"; do start_service "$s" 1; done
    for s in "${services[@]}"; do wait_ready "$s" 1; done
    for ((i = 2; i <= count; i++)); do for s in "${services[@]}"; do start_service "$s" "$i"; done; done
    for ((i = 2; i <= count; i++)); do for s in "${services[@]}"; do wait_ready "$s" "$i"; done; done
    echo "$count" > "$data/instances"
    token="$(mint_token --role channel)"
    gateway="$(scheme_of Banking.Gateway)://127.0.0.1:$GATEWAY_PORT" cacert="" management=http
    if [ ${#tls_flag[@]} -gt 0 ]; then cacert=" --cacert $data/tls/ca.crt" management=https; fi
    cat <<EOF

The platform is up (Production; secrets in $data/secrets, logins per service in $services_env).
  Gateway (REST API)      $gateway        API docs: $gateway/docs
  Saga dashboard          $(scheme_of Banking.Orchestrator)://127.0.0.1:$ORCHESTRATOR_PORT/dashboard
  RabbitMQ management     $management://127.0.0.1:${BANKING_RABBITMQ_MGMT_PORT:-15672}  (user admin, password in $data/secrets/rabbitmq-admin)
  Metrics                 $gateway/metrics (and :$ORCHESTRATOR_PORT; debit http://127.0.0.1:$DEBIT_PORT, credit http://127.0.0.1:$CREDIT_PORT)
EOF
    [ "$count" = 1 ] || echo "  $count instances of every service: instance i on each port + 10 (i - 1), e.g. a second gateway on $(instance_port Banking.Gateway 2)"
    [ -z "$cacert" ] || echo "  TLS everywhere: certificates from the local CA $data/tls/ca.crt (trust it in a browser, or curl$cacert)"
    cat <<EOF

Try it (a token for the 'channel' role, signed with the platform's key; make others with
  deploy/local/platform.sh token --role customer --client-no C0001):

  TOKEN=$token
  curl -s$cacert -X POST $gateway/api/v1/transfer -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"from_account":"6230399991006371427","to_account":"6230399991006371428","amount":1000.00,"currency":"CNY","description":"Transfer payment"}'
  curl -s$cacert $gateway/api/v1/account/6230399991006371427/balance -H "Authorization: Bearer \$TOKEN"

Stop everything with: deploy/local/platform.sh stop
EOF
    ;;
  stop)
    for ((i=${#services[@]}-1; i>=0; i--)); do
      for ((n = 9; n >= 1; n--)); do stop_service "$(instance_name "${services[$i]}" "$n")"; done
    done
    "$here/servers.sh" down
    ;;
  status)
    rc=0
    count="$(instance_count)"
    for ((i = 1; i <= count; i++)); do
      for s in "${services[@]}"; do
        label="$(instance_name "$s" "$i")"
        if alive "$pids/$label.pid"; then
          echo "$label: up (pid $(cat "$pids/$label.pid"), port $(instance_port "$s" "$i"))"
        else
          echo "$label: down"; rc=3
        fi
      done
    done
    "$here/servers.sh" status || rc=3
    exit $rc
    ;;
  token)
    shift
    mint_token "$@"
    ;;
  service-env)
    # What 'start' sets for one service (NAME=value lines); the security specs start services with exactly this.
    service_env "${2:?service-env needs a service name, e.g. Banking.Gateway}"
    ;;
  *)
    echo "usage: $0 start [--tls] [--rabbitmq-nodes N] [--mysql-replicas] [--instances N]|stop|status|token --role ROLE [--client-no NO]" >&2
    exit 2
    ;;
esac
