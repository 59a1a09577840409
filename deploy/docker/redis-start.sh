#!/bin/sh
# Redis for the Compose platform: 'default' is the administrator, 'gateway' gets the rules in gateway.acl. The users go
# into a file readable by Redis only, not onto the command line.
set -eu
: "${REDIS_ADMIN_PASSWORD:?}" "${REDIS_GATEWAY_PASSWORD:?}"
umask 077
{
  echo "user default on >$REDIS_ADMIN_PASSWORD ~* &* +@all"
  echo "user gateway on >$REDIS_GATEWAY_PASSWORD $(grep -v '^#' /etc/banking/gateway.acl)"
} > /tmp/users.acl
chown redis /tmp/users.acl 2>/dev/null || true
exec docker-entrypoint.sh redis-server --aclfile /tmp/users.acl --appendonly no --save ""
