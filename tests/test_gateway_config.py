"""The gateway's Nginx configuration passes the gixy-ng linter with no finding (X5, the
security suite's linter step, run on every `make test`)."""

import re
import subprocess
import sys
from pathlib import Path

from devstack.gateway import render
from devstack.stack import ROOT, SERVICES, UPSTREAM_KEEP_ALIVE_SECONDS

VALUES = {
    "GATEWAY_USER": "nginx",
    "GATEWAY_HTML_ROOT": "/usr/share/nginx/html",
    "GATEWAY_HTTP_PORT": "8080",
    "GATEWAY_HTTPS_PORT": "8443",
    "GATEWAY_TLS_CERT": "/etc/nginx/tls/gateway.crt",
    "GATEWAY_TLS_KEY": "/etc/nginx/tls/gateway.key",
    "GATEWAY_MAX_BODY": "1m",
    "GATEWAY_LOGIN_RATE": "10r/m",
    "GATEWAY_LOGIN_BURST": "5",
    "GATEWAY_FORM_RATE": "6r/m",
    "GATEWAY_FORM_BURST": "5",
} | {f"{s.name.upper()}_UPSTREAM": f"{s.name}:8000" for s in SERVICES}


def test_gixy_finds_nothing_in_the_gateway_configuration(tmp_path: Path) -> None:
    conf = render(
        ROOT / "gateway" / "templates",
        tmp_path / "conf",
        VALUES | {"GATEWAY_STATE_DIR": str(tmp_path), "GATEWAY_CONF_DIR": str(tmp_path / "conf")},
    )
    result = subprocess.run(
        [sys.executable, "-m", "gixy", str(conf)], capture_output=True, text=True, check=False
    )
    assert "Total issues" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0 and ">> Problem" not in result.stdout, result.stdout


def test_services_keep_idle_gateway_connections_longer_than_the_gateway() -> None:
    """Else Nginx may send a request on a connection the service is closing: a POST is not
    retried, and the client gets a 502 (seen under `make load`)."""
    template = (ROOT / "gateway" / "templates" / "nginx.conf.template").read_text()
    upstream_idle = 60  # Nginx's default keepalive_timeout for upstream connections
    upstreams = re.findall(r"\bupstream \w+ \{([^}]*)\}", template)
    assert len(upstreams) == len(SERVICES)
    assert not any("keepalive_timeout" in block for block in upstreams)
    entrypoint = (ROOT / "deploy" / "docker" / "entrypoint.sh").read_text()
    assert f"--timeout-keep-alive {UPSTREAM_KEEP_ALIVE_SECONDS}" in entrypoint
    assert upstream_idle < UPSTREAM_KEEP_ALIVE_SECONDS
