#!/usr/bin/env bash
# The machine's RabbitMQ with the write-ahead log bound the project's own brokers have: `make
# load` counts the broker's memory in the stack's, and a broker left at its default keeps up to
# 512 MiB of its quorum queues' log in memory (deploy/rabbitmq/30-limits.conf, deploy/README.md).
# Decided on the running broker's value, not on files: when it differs, and only as root and
# with no client connected (the broker is the machine's, shared with every stack and test
# run), installs the file in /etc/rabbitmq/conf.d and restarts the broker, then checks the
# value again; otherwise it says what it would do and leaves the broker alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source="$here/../rabbitmq/30-limits.conf"
target=/etc/rabbitmq/conf.d/30-platform-wal-limit.conf
want=$(sed -n 's/^raft.wal_max_size_bytes = //p' "$source")
command -v rabbitmqctl >/dev/null || exit 0  # no local broker: the stacks use another one
running() { rabbitmqctl eval 'application:get_env(ra, wal_max_size_bytes).' 2>/dev/null; }
[ "$(running)" = "{ok,$want}" ] && exit 0
advice="the machine's RabbitMQ keeps another write-ahead log bound than deploy/rabbitmq's
($want bytes): make load's memory line counts it. To align it: copy $source to $target and
restart the broker"
if [ "$(id -u)" != 0 ]; then
  echo "note: $advice (as root)." >&2
  exit 0
fi
if [ -n "$(rabbitmqctl list_connections -q 2>/dev/null)" ]; then
  echo "note: $advice once no client is connected (some are now)." >&2
  exit 0
fi
echo "RabbitMQ: bounding its write-ahead log as deploy/rabbitmq does ($target), restarting it"
mkdir -p "$(dirname "$target")"
cp "$source" "$target"
rabbitmqctl shutdown >/dev/null  # returns once the node has stopped
rabbitmq-server -detached
for _ in $(seq 1 60); do
  if rabbitmqctl await_startup >/dev/null 2>&1; then
    [ "$(running)" = "{ok,$want}" ] && exit 0
    echo "RabbitMQ restarted but does not read $target: $advice by hand" >&2
    exit 1
  fi
  sleep 1
done
echo "RabbitMQ did not start again: start it with 'rabbitmq-server -detached'" >&2
exit 1
