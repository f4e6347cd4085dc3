#!/usr/bin/env bash
# One role and one database per service, for the official postgres image: mounted into
# /docker-entrypoint-initdb.d/, it runs once, when the data volume is empty.
#
# For each service below: a login role named after the service, with the password from
# <SERVICE>_DB_PASSWORD (IDENTITY_DB_PASSWORD, PRIVACY_DB_PASSWORD...), and a database of the same name owned by
# it. CONNECT is revoked from PUBLIC, so no other (non-superuser) role can even connect:
# a service reads only its own data.
#
# Idempotent: it creates what is missing and (re)sets the passwords. To add a service to an
# existing volume, or to change a password, run it again:
#   docker-compose exec -u postgres postgres /docker-entrypoint-initdb.d/10-services.sh
set -eo pipefail

# Add a service here (and its <SERVICE>_DB_PASSWORD to the postgres service in compose).
SERVICES=(identity orders subsidies support privacy)

for service in "${SERVICES[@]}"; do
    var="$(printf '%s' "$service" | tr '[:lower:]-' '[:upper:]_')_DB_PASSWORD"
    if [ -z "${!var:-}" ]; then
        echo "postgres-init: $var is not set; cannot create the $service role" >&2
        exit 1
    fi
    echo "postgres-init: role and database $service"
    # The password is read by psql from the environment (\getenv), never put on a command line.
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" \
        -v service="$service" -v password_var="$var" <<'SQL'
\getenv password :password_var
SELECT format('CREATE ROLE %I', :'service')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'service') \gexec
ALTER ROLE :"service" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'service', :'service')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'service') \gexec
ALTER DATABASE :"service" OWNER TO :"service";
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"service" TO :"service";
SQL
done
