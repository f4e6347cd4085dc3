"""Each operation of a service's OpenAPI document says who may call it (``x-access``).

Read from the route's own dependencies, so the document cannot drift from the code:
- ``public``: no session needed;
- ``authenticated``: any signed-in person; the route itself limits them to their own data;
- ``roles``: only callers holding one of ``x-roles`` (``kit.auth.require_roles``);
- ``service``: internal routes, only the services of ``x-callers`` acting for a person
  (``kit.auth.service_caller``), never a person's own token; with ``x-roles`` when the person
  must also hold a role.

The role matrix of the security suite (tests/e2e/test_role_matrix.py) enumerates every
operation of every service and checks each role is let in or refused as declared here.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import _get_api_route_for_openapi, get_openapi

from kit.auth import current_principal


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def access_of(route: "routing._APIRouteLike") -> dict[str, Any]:
    """The ``x-access`` (and ``x-roles``) of one route, from its dependency tree."""
    calls = list(_calls(route.dependant))
    callers = [getattr(call, "allowed_callers", None) for call in calls]
    services = sorted({str(c) for found in callers if found is not None for c in found})
    role_sets = [getattr(call, "allowed_roles", None) for call in calls]
    declared = [roles for roles in role_sets if roles is not None]
    if services:
        access: dict[str, Any] = {"x-access": "service", "x-callers": services}
        if declared:
            access["x-roles"] = sorted(str(r) for r in frozenset.intersection(*declared))
        return access
    if declared:
        allowed = frozenset.intersection(*declared)
        return {"x-access": "roles", "x-roles": sorted(str(role) for role in allowed)}
    if current_principal in calls:
        return {"x-access": "authenticated"}
    return {"x-access": "public"}


def install_access_declarations(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that adds ``x-access``/``x-roles`` to each operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            # FastAPI 0.16x keeps included routers lazily: walk them the way get_openapi does.
            for context in routing.iter_route_contexts(app.routes):
                route = _get_api_route_for_openapi(context)
                if route is None:
                    continue
                for method in route.methods:
                    operation = document["paths"][route.path_format].get(method.lower())
                    if operation is not None:
                        operation.update(access_of(route))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
