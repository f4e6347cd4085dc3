#!/usr/bin/env bash
# The tests use the machine's PostgreSQL and RabbitMQ: start them when installed but stopped.
set -euo pipefail
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_up() { for _ in $(seq 1 60); do up "$1" && return 0; sleep 1; done; return 1; }
if ! up 5432; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  wait_up 5432 || { echo "PostgreSQL did not start" >&2; exit 1; }
fi
if ! up 5672; then
  echo "Starting RabbitMQ"
  rabbitmq-server -detached
  wait_up 5672 || { echo "RabbitMQ did not start" >&2; exit 1; }
fi
