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
# A role of the tests' own, with a password: Debian's default pg_hba asks for one over TCP.
role=platform_test
if ! PGPASSWORD=$role psql -h 127.0.0.1 -U $role -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  echo "Creating the PostgreSQL role $role for the tests"
  sql="DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
       CREATE ROLE $role LOGIN CREATEDB PASSWORD '$role'; END IF; END \$\$;"
  runuser -u postgres -- psql -q -d postgres -c "$sql" 2>/dev/null \
    || psql -q -h 127.0.0.1 -U postgres -d postgres -c "$sql"
fi
if ! up 5672; then
  echo "Starting RabbitMQ"
  rabbitmq-server -detached
  wait_up 5672 || { echo "RabbitMQ did not start" >&2; exit 1; }
fi
