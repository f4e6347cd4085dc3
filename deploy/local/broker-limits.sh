#!/usr/bin/env bash
# The machine's RabbitMQ with the bound the project's own brokers have: `make load` and
# `make bench` count the broker's memory in the stack's, and a broker left at its default keeps
# up to 512 MiB of its quorum queues' write-ahead log in memory (deploy/rabbitmq/30-limits.conf,
# deploy/README.md). Installs that file in /etc/rabbitmq/conf.d and restarts the broker once,
# when the file is missing or differs; run as root, else it only says what it would do.
set -euo pipefail
source=deploy/rabbitmq/30-limits.conf
target=/etc/rabbitmq/conf.d/30-limits.conf
command -v rabbitmqctl >/dev/null || exit 0  # no local broker: the stacks use another one
cmp -s "$source" "$target" 2>/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "note: the machine's RabbitMQ keeps its default write-ahead log bound (512 MiB);" \
    "as root, copy $source to $target and restart it for the figures of deploy/rabbitmq" >&2
  exit 0
fi
echo "RabbitMQ: bounding the write-ahead log as deploy/rabbitmq does ($target), restarting it"
mkdir -p "$(dirname "$target")"
cp "$source" "$target"
rabbitmqctl stop >/dev/null 2>&1 || true
rabbitmq-server -detached
for _ in $(seq 1 60); do
  rabbitmqctl await_startup >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "RabbitMQ did not start again" >&2
exit 1
