"""GW1-GW7 through the real Nginx: TLS, redirects, headers, authentication, errors."""

import json
import socket
import ssl
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import HTTP_PORT, HTTPS_PORT, PORT_OFFSET, Platform

pytestmark = pytest.mark.e2e


def handshake(version: ssl.TLSVersion) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(
        "ALL:@SECLEVEL=0"
    )  # let the client offer old versions: the server must say no
    context.minimum_version = version
    context.maximum_version = version
    with (
        socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        return str(tls.version())


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_versions_are_refused(platform: Platform, version: ssl.TLSVersion) -> None:
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        handshake(version)


@pytest.mark.parametrize(
    "version,name", [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")]
)
def test_tls_12_and_13_are_accepted(platform: Platform, version: ssl.TLSVersion, name: str) -> None:
    assert handshake(version) == name


def test_http_redirects_to_https(platform: Platform) -> None:
    response = httpx.get(f"http://localhost:{HTTP_PORT}/api/auth/me?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == f"https://localhost:{HTTPS_PORT}/api/auth/me?x=1"


def test_security_headers_and_request_id(anonymous: httpx.Client) -> None:
    for path in ("/", "/api/auth/me", "/healthz"):
        headers = anonymous.get(path).headers
        assert headers["strict-transport-security"].startswith("max-age=")
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert len(headers["x-request-id"]) == 32
        assert "," not in headers["x-request-id"]  # one id, not the gateway's and the service's


def test_front_end_is_served_for_any_page_path(anonymous: httpx.Client) -> None:
    response = anonymous.get("/some/page/of/the/app")
    assert response.status_code == 200
    assert '<script type="module" src="/js/app.js"></script>' in response.text


def test_pages_take_no_other_method_than_reads(anonymous: httpx.Client) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = anonymous.request(method, "/some/page/of/the/app")
        assert response.status_code == 405, method
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"detail": "method not allowed"}
    assert anonymous.head("/some/page").status_code == 200


def test_request_id_reaches_the_service(platform: Platform) -> None:
    client = platform.login("bob@demo.test")
    request_id = client.get("/api/auth/me").headers["x-request-id"]
    log = (platform.var_dir / "logs" / "identity.log").read_text()
    assert f'"request_id": "{request_id}"' in log


def test_unknown_api_route_needs_a_session_then_is_404(
    platform: Platform, anonymous: httpx.Client
) -> None:
    response = anonymous.get("/api/nothing/here")
    assert response.status_code == 401
    assert response.json() == {"detail": "authentication required"}
    client = platform.login("bob@demo.test")
    response = client.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "not found"}


def test_oversized_body_is_413_json(anonymous: httpx.Client) -> None:
    response = anonymous.post(
        "/api/auth/login",
        content=b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "request body too large"}


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"{not json", "application/json"),
        (b'{"tenant": 5, "email": [], "password": null}', "application/json"),
        (b'{"tenant": "demo"}', "application/json"),
        (
            b'{"tenant": "demo", "email": "alice@demo.test", "password": "x", "admin": true}',
            "application/json",
        ),
        (b"tenant=demo", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
)
def test_bad_login_bodies_are_4xx(anonymous: httpx.Client, body: bytes, content_type: str) -> None:
    response = anonymous.post(
        "/api/auth/login", content=body, headers={"Content-Type": content_type}
    )
    assert 400 <= response.status_code < 500, response.text
    assert "detail" in response.json()


def raw_exchange(platform: Platform, request: bytes) -> bytes:
    """``request`` as is over TLS, and the gateway's whole answer."""
    with (
        socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=5) as raw,
        platform.tls_context().wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(request)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
        return answer


@pytest.mark.parametrize(
    "request_line",
    [b" P", b"P", b"GET", b"\x16\x03\x01", b"GET  HTTP/1.1", b"GET /\x00 HTTP/1.1"],
)
def test_malformed_requests_are_400_json_never_5xx(platform: Platform, request_line: bytes) -> None:
    # A TLS scanner's probes (sslyze) sent such lines; Nginx could not redirect an empty URI
    # to a named error location and answered 500 with its own HTML page.
    answer = raw_exchange(platform, request_line + b"\r\nHost: localhost\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    assert 400 <= status < 500, answer[:300]
    assert b"content-type: application/json" in head.lower(), answer[:300]
    assert json.loads(body)["detail"], body


@pytest.mark.parametrize(
    "path",
    [
        "/api/orders/%00",
        "/api/orders/a%00b/invoice",
        "/api/tickets/%00",
        "/api/privacy/requests/%00",
        "/api/subsidies/mandates/%00",
        "/api/auth/sessions/%00",
        "/api/auth/tenants/%00",
        "/api/orders/%C0%AF",
        "/api/tickets/%ED%A0%80",
    ],
)
def test_ids_with_nul_or_invalid_utf8_are_4xx_never_5xx(platform: Platform, path: str) -> None:
    # PostgreSQL cannot store or compare a NUL character (SQLSTATE 22021): found by the fuzzer.
    client = platform.login("bob@demo.test")
    for method in ("GET", "POST", "DELETE"):
        response = client.request(method, path)
        assert 400 <= response.status_code < 500, (method, path, response.text)


#: The public routes (and the password check) with their per-address limits, and a body each
#: answers cheaply (the limit counts a request before any body is read).
LIMITED_ROUTES = [
    ("/api/auth/login", {}),  # 422
    ("/api/auth/mfa", {"code": "000000"}),  # 401: no pending login
    ("/api/auth/password-reset", {}),
    ("/api/auth/password-reset/confirm", {}),
    ("/api/privacy/unsubscribe", {}),
    ("/api/auth/password", {}),  # 401: no session
    ("/api/partners/apply", {}),
    # The sign-in with the employer's directory (a GET route: 405, counted first).
    ("/api/auth/oidc/callback", {}),
]


def test_each_public_route_has_a_limit_of_its_own(platform: Platform) -> None:
    """From one address, each route takes a workplace's worth of requests at once (the burst),
    then answers 429; a route at its limit leaves every other one open."""
    config = platform.stack.config
    # Its own source address, so the rest of the suite keeps its budget.
    transport = httpx.HTTPTransport(local_address="127.0.0.2", verify=platform.tls_context())
    with (
        httpx.Client(base_url=platform.url, transport=transport, timeout=30) as client,
        ThreadPoolExecutor(16) as pool,
    ):
        for path, body in LIMITED_ROUTES:
            burst = config.form_burst if path == "/api/partners/apply" else config.login_burst
            # Every route before this one is at its limit now; this one is not.
            assert client.post(path, json=body).status_code != 429, path
            responses: list[httpx.Response] = []
            while not any(r.status_code == 429 for r in responses):
                assert len(responses) < burst + 2000, path  # the limit never came
                responses += pool.map(
                    lambda _, p=path, b=body: client.post(p, json=b),
                    range(64),
                )
            statuses = Counter(r.status_code for r in responses)
            assert all(status < 500 for status in statuses), (path, statuses)
            served = sum(n for status, n in statuses.items() if status != 429)
            assert served >= burst, (path, statuses)  # a burst of a workplace's size first
            limited = next(r for r in responses if r.status_code == 429)
            assert limited.json() == {"detail": "too many requests; try again later"}


def test_services_listen_on_loopback_only(platform: Platform) -> None:
    port = 8101 + PORT_OFFSET
    listening = [
        line.split()[1]
        for path in ("/proc/net/tcp", "/proc/net/tcp6")
        for line in Path(path).read_text().splitlines()[1:]
        if line.split()[3] == "0A" and line.split()[1].endswith(f":{port:04X}")
    ]
    assert listening == [f"0100007F:{port:04X}"]
    addresses = subprocess.run(
        ["hostname", "-I"], capture_output=True, text=True, check=True
    ).stdout.split()
    for address in addresses:
        if ":" in address:
            continue
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex((address, port)) != 0, f"identity reachable on {address}"
    with socket.socket() as sock:  # the gateway's way in still works
        assert sock.connect_ex(("127.0.0.1", port)) == 0


def test_service_refuses_requests_that_bypass_the_gateway(platform: Platform) -> None:
    response = httpx.get(platform.service_url("identity", "/api/auth/me"))
    assert response.status_code == 401
    forged = httpx.get(
        platform.service_url("identity", "/api/auth/me"),
        headers={
            "X-Internal-Token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
            "X-User-Id": "someone",
        },
    )
    assert forged.status_code == 401


def test_gateway_answers_json_when_a_service_is_down(
    platform: Platform, anonymous: httpx.Client
) -> None:
    process = platform.stack.process("identity")
    assert process.popen is not None
    process.popen.kill()
    process.popen.wait()
    response = anonymous.post(
        "/api/auth/login", json={"tenant": "demo", "email": "a@demo.test", "password": "x"}
    )
    assert response.status_code == 502
    assert response.json() == {"detail": "service unavailable"}
    # A protected route whose session check cannot be made: 503, not a logout, not a trace.
    unchecked = anonymous.get("/api/auth/me", headers={"Cookie": "__Host-session=" + "a" * 43})
    assert unchecked.status_code == 503
    assert unchecked.json() == {"detail": "authentication service unavailable; try again shortly"}
    assert unchecked.headers["strict-transport-security"].startswith("max-age=")
    platform.stack.supervise_once()  # what `make run` does every half second
    assert process.restarts >= 1
    platform.stack.wait_ready()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if anonymous.get("/api/auth/tenants/demo").status_code == 200:
            break
        time.sleep(0.2)
    assert platform.login("bob@demo.test").get("/api/auth/me").status_code == 200
