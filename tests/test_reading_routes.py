"""Routes that only read (``kit.db.ReadSessionDep``) never also record reads: the auditor
(``kit.privacy.audit.Auditor``) writes through the request's ``SessionDep``, and such a route
would hold two pooled connections at once; enough of them together would each wait for a
second connection that none gives back."""

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import _get_api_route_for_openapi

from devstack.stack import SERVICES
from kit import db
from kit.privacy import audit


def calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from calls(sub)


def routes() -> list[tuple[str, Any]]:
    """Every API route of every service (FastAPI 0.16x keeps included routers lazily: walked
    as its OpenAPI document walks them, kit.openapi)."""
    found = []
    for spec in SERVICES:
        app = importlib.import_module(f"{spec.name}.main").app
        for context in routing.iter_route_contexts(app.routes):
            route = _get_api_route_for_openapi(context)
            if route is not None:
                found.append((spec.name, route))
    return found


ROUTES = routes()
READING = [(service, r) for service, r in ROUTES if db._reading_session in set(calls(r.dependant))]


def test_the_employees_read_pages_use_reading_sessions() -> None:
    paths = {route.path for _, route in READING}
    assert {"/api/offers", "/api/subsidies/eligibility", "/api/auth/me"} <= paths


@pytest.mark.parametrize(
    ("service", "route"), READING, ids=[f"{s} {sorted(r.methods)[0]} {r.path}" for s, r in READING]
)
def test_a_reading_route_records_no_read(service: str, route: Any) -> None:
    assert audit._auditor not in set(calls(route.dependant)), (service, route.path)
