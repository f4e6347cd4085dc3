"""What the security suite holds the privacy routes to: who may call each DPO route is
declared in the OpenAPI document (the role matrix calls every operation as every role), and
inputs the database cannot take are refused as 422s, never 500s."""

import pytest
from pydantic import ValidationError

from privacy.breaches.schemas import BreachCreate
from privacy.main import app


def test_dpo_routes_are_declared_for_the_dpo_only() -> None:
    paths = app.openapi()["paths"]
    for path in (
        "/api/privacy/requests/on-behalf",
        "/api/privacy/requests/{request_id}/extend",
        "/api/privacy/requests/{request_id}/lift",
        "/api/privacy/requests/{request_id}/verify",
    ):
        operation = paths[path]["post"]
        assert (operation["x-access"], operation["x-roles"]) == ("roles", ["dpo"]), path


def test_processors_are_kept_by_a_dpo_or_the_platform_administrator() -> None:
    """Both roles pass the route; the service then lets a DPO change only their tenant's own
    entries and the platform administrator only the platform's (privacy.processors)."""
    paths = app.openapi()["paths"]
    for method, path in (
        ("get", "/api/privacy/processors"),
        ("post", "/api/privacy/processors"),
        ("delete", "/api/privacy/processors/{processor_id}"),
    ):
        operation = paths[path][method]
        assert (operation["x-access"], operation["x-roles"]) == (
            "roles",
            ["dpo", "platform_admin"],
        ), path
    # The controller's register is the DPO's (403 for the others, in the route); the
    # processor's record (Art. 30(2)) is the client's: its admin, its DPO, the platform.
    assert paths["/api/privacy/register"]["get"]["x-roles"] == [
        "dpo",
        "platform_admin",
        "tenant_admin",
    ]


def test_a_persons_own_requests_are_open_to_anyone_signed_in() -> None:
    paths = app.openapi()["paths"]
    assert paths["/api/privacy/requests"]["post"]["x-access"] == "authenticated"
    # Their own, or with scope=tenant the DPO's queue (403 for anyone else).
    assert paths["/api/privacy/requests"]["get"]["x-access"] == "authenticated"
    assert paths["/api/privacy/requests/{request_id}/cancel"]["post"]["x-access"] == "authenticated"


def test_a_breach_count_beyond_the_column_is_refused() -> None:
    """The counts are 32-bit columns: a larger number must be a 422, not a database error."""
    body = {
        "aware_at": "2026-01-01T00:00:00Z",
        "nature": "Lost laptop.",
        "services": ["support"],
        "categories": ["support conversation"],
        "consequences": "None known.",
        "measures": "Disk encrypted.",
        "encrypted": True,
    }
    assert BreachCreate.model_validate(body | {"approx_people": 1_000_000_000}).approx_people
    for field in ("approx_people", "approx_records"):
        with pytest.raises(ValidationError):
            BreachCreate.model_validate(body | {field: 2**31})
