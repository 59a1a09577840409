#!/bin/bash
# One-shot setup of the Compose platform's RabbitMQ: one login per party with the permissions in
# deploy/rabbitmq/permissions (the same the local servers get), guest deleted. Runs rabbitmqctl against the broker's
# node with the Erlang cookie from the broker's data volume. Idempotent: it runs at every 'docker-compose up'.
set -euo pipefail
export HOME=/var/lib/rabbitmq
node=rabbit@rabbitmq
ctl=(rabbitmqctl -n "$node" -q)
rabbitmqctl -n "$node" await_startup --timeout 120 >/dev/null
"${ctl[@]}" add_vhost banking >/dev/null 2>&1 || true
"${ctl[@]}" set_permissions -p banking admin ".*" ".*" ".*" >/dev/null

declare -A passwords=(
  [gateway]="${RABBITMQ_GATEWAY_PASSWORD:?}" [orchestrator]="${RABBITMQ_ORCHESTRATOR_PASSWORD:?}"
  [debit-service]="${RABBITMQ_DEBIT_PASSWORD:?}" [credit-service]="${RABBITMQ_CREDIT_PASSWORD:?}"
  [upstream]="${RABBITMQ_UPSTREAM_PASSWORD:?}"
)
existing="$("${ctl[@]}" list_users | awk '{print $1}')"
while IFS=$'\t' read -r user configure write read; do
  case "$user" in ''|'#'*) continue ;; esac
  if grep -qx -- "$user" <<< "$existing"; then "${ctl[@]}" change_password "$user" "${passwords[$user]}" >/dev/null
  else "${ctl[@]}" add_user "$user" "${passwords[$user]}" >/dev/null; fi
  if [ "$user" = upstream ]; then "${ctl[@]}" set_user_tags "$user" management >/dev/null
  else "${ctl[@]}" set_user_tags "$user" >/dev/null; fi
  "${ctl[@]}" set_permissions -p banking "$user" "$configure" "$write" "$read" >/dev/null
done < /etc/banking/rabbitmq-permissions
for user in guest banking; do
  if grep -qx -- "$user" <<< "$existing"; then "${ctl[@]}" delete_user "$user" >/dev/null; fi
done
echo "rabbitmq: logins and permissions applied"
