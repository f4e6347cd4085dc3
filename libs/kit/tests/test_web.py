"""Errors are JSON with the right status, never echo input, never show a stack trace."""

from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

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


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = ServiceSettings(service_name="web-test", var_dir=tmp_path)
    return TestClient(
        create_app(settings=settings, routers=[router]), raise_server_exceptions=False
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
    assert ready.json()["checks"]["database"] == "ok"
    assert echoed.headers["X-Request-ID"] == "abc123"


def test_a_database_out_of_reach_is_a_503_to_try_again(client: TestClient) -> None:
    """SQLSTATE 53300 (no connection slot left) is an outage, not a bug: 503, Retry-After."""
    with client:
        response = client.post("/things", json={"count": 53})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "alice" not in response.text
