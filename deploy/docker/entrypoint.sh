#!/bin/sh
# Default command of the service image: migrate the service's database, then serve it.
# Another command (compose `command:`, e.g. `python -m privacy.worker`) replaces this script:
# the workers never migrate, they start once their API container is healthy (migrated).
#   SERVICE          the service package (set by the image; identity, ...)
#   RUN_MIGRATIONS   1 (default) runs `alembic upgrade head` first; set 0 when a separate
#                    one-shot job migrates (several replicas should not all migrate at once)
set -eu
: "${SERVICE:?SERVICE is not set (build the image with --build-arg SERVICE=...)}"
cd /app
if [ "${RUN_MIGRATIONS:-1}" != "0" ]; then
    echo "[entrypoint] alembic upgrade head ($SERVICE)"
    alembic -c "services/$SERVICE/alembic.ini" upgrade head
fi
exec uvicorn "$SERVICE.main:app" --host 0.0.0.0 --port 8000 \
    --no-server-header --timeout-graceful-shutdown 5 \
    --timeout-keep-alive 75  # longer than the gateway keeps idle connections (60 s)
