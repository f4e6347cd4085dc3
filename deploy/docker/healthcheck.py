#!/usr/bin/env python3
"""The health check of a service's API container (the image's HEALTHCHECK, compose's
`healthcheck:`): exit 0 when /readyz on port 8000 answers 200 within 4 s, 1 otherwise.

/readyz, not /healthz: ready means the database answers and the service holds identity's
keys to verify sessions (kit.web), so "every container healthy" means every API can serve.

A script of its own rather than a `python -c "..."` line in every healthcheck: one definition,
and no argument with spaces in it (podman's Docker-compatible API splits a health check's
arguments on spaces, which broke the one-liner: the compose test found it).
"""

import sys
import urllib.request

try:
    with urllib.request.urlopen("http://127.0.0.1:8000/readyz", timeout=4) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except OSError as error:
    print(f"/readyz: {error}")
    sys.exit(1)
