#!/bin/bash
# Node 2 or 3 of the Compose profile "cluster": the first node's Erlang cookie (from its data volume, mounted
# read-only), and peer discovery that joins rabbit@rabbitmq as the node first boots. Then the image's own start.
set -euo pipefail
install -o rabbitmq -g rabbitmq -m 400 /etc/banking/first-node/.erlang.cookie /var/lib/rabbitmq/.erlang.cookie
cat > /etc/rabbitmq/conf.d/20-banking-cluster.conf <<CONF
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = rabbit@rabbitmq
CONF
exec docker-entrypoint.sh rabbitmq-server
