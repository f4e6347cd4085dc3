#!/usr/bin/env python3
"""The health check of a service's API container (the image's HEALTHCHECK, compose's
`healthcheck:`): exit 0 when /healthz on port 8000 answers 200 within 4 s, 1 otherwise.

A script of its own rather than a `python -c "..."` line in every healthcheck: one definition,
and no argument with spaces in it (podman's Docker-compatible API splits a health check's
arguments on spaces, which broke the one-liner: the compose test found it).
"""

import sys
import urllib.request

try:
    with urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=4) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except OSError as error:
    print(f"/healthz: {error}")
    sys.exit(1)
