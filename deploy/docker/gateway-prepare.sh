#!/bin/sh
# Run by the nginx image before Nginx starts (mounted into /docker-entrypoint.d/, executable).
# Creates the gateway's state folders that nginx.conf expects under GATEWAY_STATE_DIR, a tmpfs
# in compose: the auth cache (its keys hold session tokens) never touches a disk and is empty
# after each restart. The two logs go to the container's stdout/stderr (`docker-compose logs
# gateway`), as in the stock nginx image.
set -eu
state="${GATEWAY_STATE_DIR:?GATEWAY_STATE_DIR is not set}"
user="${GATEWAY_USER:-nginx}"
mkdir -p "$state/logs" "$state/tmp" "$state/auth-cache"
ln -sf /dev/stdout "$state/logs/access.log"
ln -sf /dev/stderr "$state/logs/error.log"
chown "$user" "$state/tmp" "$state/auth-cache"
chmod 0700 "$state/tmp" "$state/auth-cache"
