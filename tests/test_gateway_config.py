"""The gateway's Nginx configuration passes the gixy-ng linter with no finding (X5, the
security suite's linter step, run on every `make test`)."""

import subprocess
import sys
from pathlib import Path

from devstack.gateway import render
from devstack.stack import ROOT, SERVICES

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
