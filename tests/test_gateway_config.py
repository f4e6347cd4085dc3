"""The gateway's Nginx configuration passes the gixy-ng linter with no finding (X5, the
security suite's linter step, run on every `make test`), and its per-address limits are one
zone per public route, sized for a workplace (issue 14)."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from devstack.gateway import render
from devstack.stack import ROOT, SERVICES, UPSTREAM_KEEP_ALIVE_SECONDS, StackConfig

VALUES = {
    "GATEWAY_USER": "nginx",
    "GATEWAY_HTML_ROOT": "/usr/share/nginx/html",
    "GATEWAY_HTTP_PORT": "8080",
    "GATEWAY_HTTPS_PORT": "8443",
    "GATEWAY_TLS_CERT": "/etc/nginx/tls/gateway.crt",
    "GATEWAY_TLS_KEY": "/etc/nginx/tls/gateway.key",
    "GATEWAY_MAX_BODY": "1m",
    "GATEWAY_LOGIN_RATE": "600r/m",
    "GATEWAY_LOGIN_BURST": "300",
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


#: Every route a client reaches without a session (and the password check), and the zone of
#: each: a crowd on one route must never shut another.
PUBLIC_ROUTES = (
    "/api/auth/login",
    "/api/auth/mfa",
    "/api/auth/password-reset",
    "/api/auth/password-reset/confirm",
    "/api/privacy/unsubscribe",
    "/api/partners/apply",
    "/api/auth/password",
    # The sign-in with the employer's directory: its start and callback (a prefix location).
    "/api/auth/oidc/",
)
#: People signing in within a minute from one address (one office behind a NAT) who all get in.
WORKPLACE = 300


def test_each_public_route_has_a_per_address_zone_of_its_own() -> None:
    templates = ROOT / "gateway" / "templates"
    routes = (templates / "routes.conf.template").read_text()
    zones = dict(
        re.findall(
            r"limit_req_zone \$binary_remote_addr zone=(\w+):\w+ rate=\$\{(\w+)\};",
            (templates / "nginx.conf.template").read_text(),
        )
    )
    used = {}
    for path in PUBLIC_ROUTES:
        block = re.search(
            rf"^location (?:=|\^~) {re.escape(path)} \{{\n(.*?)^\}}", routes, re.M | re.S
        )
        assert block, path
        limits = re.findall(r"limit_req zone=(\w+) burst=\$\{(\w+)\} nodelay;", block.group(1))
        assert len(limits) == 1, path
        used[path] = limits[0][0]
        assert used[path] in zones, path  # declared, keyed by the client's address
    assert len(set(used.values())) == len(PUBLIC_ROUTES), used


def test_sign_in_limits_let_a_workplace_in_at_once() -> None:
    """Nginx's `limit_req ... nodelay` takes burst + 1 requests at once from a fresh address,
    then one each 1/rate: the burst alone must hold a workplace arriving in the same second,
    and the local run and compose must agree."""
    config = StackConfig()
    assert config.login_burst + 1 >= WORKPLACE
    assert re.fullmatch(r"\d+r/m", config.login_rate)
    assert int(config.login_rate.removesuffix("r/m")) >= WORKPLACE  # a second wave refills
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    gateway = compose["services"]["gateway"]["environment"]
    assert gateway["GATEWAY_LOGIN_RATE"] == config.login_rate
    assert int(gateway["GATEWAY_LOGIN_BURST"]) == config.login_burst


def test_no_body_or_answer_is_ever_written_to_a_temporary_file() -> None:
    """An export archive, a tax notice on its way to its check, a CSV of employees: Nginx
    spools a request body larger than its buffer, and an answer larger than the proxy
    buffers, to temporary files whose blocks outlive the request on the gateway's disk (the
    decrypted notice was, from the outside review). Bodies are held in memory up to the limit
    of their route; answers are never spooled."""
    main = (ROOT / "gateway" / "templates" / "nginx.conf.template").read_text()
    routes = (ROOT / "gateway" / "templates" / "routes.conf.template").read_text()
    assert "proxy_max_temp_file_size 0;" in main
    assert "client_body_buffer_size ${GATEWAY_MAX_BODY};" in main
    assert "proxy_max_temp_file_size" not in routes  # no route turns spooling back on
    for block in re.findall(r"location [^{]+\{([^}]*)\}", routes):
        limit = re.search(r"client_max_body_size (\S+);", block)
        if limit:
            assert f"client_body_buffer_size {limit.group(1)};" in block, block
