"""Each operation of the OpenAPI document says who may call it and documents every error it can
answer with the body the handlers really send (the security suite holds the services to it)."""

from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from pydantic import BaseModel

from kit.auth import CurrentUser, DpoUser, Principal, Role, current_principal, require_roles
from kit.errors import ERROR_STATUSES, ErrorBody, NotFound
from kit.settings import ServiceSettings
from kit.web import create_app

AgentOrDpo = Annotated[Principal, Depends(require_roles(Role.SUPPORT_AGENT, Role.DPO))]


class Body(BaseModel):
    count: int


router = APIRouter()


@router.get("/open")
async def open_route() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/mine")
async def mine(body: Body, principal: CurrentUser) -> dict[str, int]:
    return {"count": body.count}


@router.get("/dpo")
async def dpo_only(dpo: DpoUser) -> dict[str, str]:
    return {"user": dpo.user_id}


@router.get("/both/{thing_id}")
async def agent_or_dpo(thing_id: str, principal: AgentOrDpo) -> dict[str, str]:
    raise NotFound("no such thing")


@pytest.fixture
def document(tmp_path: Path) -> dict[str, Any]:
    settings = ServiceSettings(service_name="openapi-test", var_dir=tmp_path)
    schema: dict[str, Any] = create_app(settings=settings, routers=[router]).openapi()
    return schema


def test_each_operation_declares_who_may_call_it(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert paths["/open"]["get"]["x-access"] == "public"
    assert paths["/mine"]["post"]["x-access"] == "authenticated"
    assert "x-roles" not in paths["/mine"]["post"]
    assert (paths["/dpo"]["get"]["x-access"], paths["/dpo"]["get"]["x-roles"]) == ("roles", ["dpo"])
    both = paths["/both/{thing_id}"]["get"]
    assert (both["x-access"], both["x-roles"]) == ("roles", ["dpo", "support_agent"])


def test_every_operation_documents_the_platform_errors(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ERROR_STATUSES:
                schema = responses[str(status)]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)
    detail = document["components"]["schemas"]["ErrorBody"]["properties"]["detail"]
    assert {"type": "string"} in detail["anyOf"]  # a domain error's sentence
    assert any(s.get("type") == "array" for s in detail["anyOf"])  # a validation error's list


def employee() -> Principal:
    return Principal("user", "tenant", "demo", frozenset({"employee"}), "session")


def test_the_documented_error_body_is_what_the_handlers_send(tmp_path: Path) -> None:
    settings = ServiceSettings(service_name="openapi-test", var_dir=tmp_path)
    app = create_app(settings=settings, routers=[router])
    with TestClient(app) as client:
        unauthenticated = client.post("/mine", json={"count": 1})
        assert unauthenticated.status_code == 401
        assert ErrorBody.model_validate(unauthenticated.json()).detail == "authentication required"
        app.dependency_overrides[current_principal] = employee
        validation = client.post("/mine", json={"count": "many"})
        assert validation.status_code == 422
        issues = ErrorBody.model_validate(validation.json()).detail
        assert isinstance(issues, list) and issues[0].loc == ["body", "count"]
        refused = client.get("/dpo")
        assert refused.status_code == 403
        assert ErrorBody.model_validate(refused.json()).detail == "not allowed for your role"
