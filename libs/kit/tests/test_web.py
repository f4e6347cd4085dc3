"""Errors are JSON with the right status, never echo input, never show a stack trace."""

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from kit.auth import RemoteJwks, StaticKeys, TokenVerifier
from kit.errors import Conflict
from kit.settings import ServiceSettings
from kit.web import create_app


class _TooManyConnections(Exception):
    sqlstate = "53300"


class Body(BaseModel):
    count: int


router = APIRouter()


@router.post("/things")
async def create(body: Body) -> dict[str, int]:
    if body.count == 7:
        raise Conflict("seven is taken")
    if body.count == 13:
        raise RuntimeError("secret internals alice@demo.test")
    if body.count == 53:
        raise DBAPIError("connect alice@demo.test", {}, _TooManyConnections())
    return {"count": body.count}


def _jwks() -> dict[str, list[dict[str, str]]]:
    public = Ed25519PrivateKey.generate().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA"}]}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = ServiceSettings(service_name="web-test", var_dir=tmp_path)
    keys = _jwks()
    verifier = TokenVerifier(StaticKeys(lambda: keys), issuer="identity", audience="web-test")
    return TestClient(
        create_app(settings=settings, routers=[router], verifier=verifier),
        raise_server_exceptions=False,
    )


def test_validation_error_does_not_echo_the_input(client: TestClient) -> None:
    with client:
        response = client.post("/things", json={"count": "Secret-Password-123!"})
    assert response.status_code == 422
    assert "Secret-Password-123!" not in response.text
    assert response.json()["detail"][0]["loc"] == ["body", "count"]


def test_domain_error_keeps_its_status(client: TestClient) -> None:
    with client:
        response = client.post("/things", json={"count": 7})
    assert response.status_code == 409
    assert response.json() == {"detail": "seven is taken"}


def test_unexpected_error_is_a_bare_500(client: TestClient) -> None:
    with client:
        response = client.post("/things", json={"count": 13})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert "alice" not in response.text


def test_health_and_request_id(client: TestClient) -> None:
    with client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        echoed = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "keys": "ok"}
    assert echoed.headers["X-Request-ID"] == "abc123"


def test_a_database_out_of_reach_is_a_503_to_try_again(client: TestClient) -> None:
    """SQLSTATE 53300 (no connection slot left) is an outage, not a bug: 503, Retry-After."""
    with client:
        response = client.post("/things", json={"count": 53})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "alice" not in response.text


def test_a_service_fetches_identitys_keys_at_start_and_is_ready_once_it_has_them(
    tmp_path: Path,
) -> None:
    """Not ready while identity does not answer; the keys are fetched again every second in
    the background, so once identity answers the service is ready without any request."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    document = json.dumps(_jwks()).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    settings = ServiceSettings(service_name="web-test", var_dir=tmp_path)
    source = RemoteJwks(f"http://127.0.0.1:{port}/.well-known/jwks.json")
    verifier = TokenVerifier(source, issuer="identity", audience="web-test")
    app = create_app(settings=settings, routers=[router], verifier=verifier)
    with TestClient(app) as client:
        before = client.get("/readyz")
        assert before.status_code == 503
        assert before.json()["checks"]["keys"] == "fetching"
        server = ThreadingHTTPServer(("127.0.0.1", port), Jwks)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            deadline = time.monotonic() + 10
            while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.1)
            after = client.get("/readyz")
        finally:
            server.shutdown()
            server.server_close()
    assert after.status_code == 200, after.text
    assert after.json()["checks"]["keys"] == "ok"
    assert source.ready
