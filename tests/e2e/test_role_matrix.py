"""The role matrix (issue 9, the security suite): who may call what, through the gateway.

Every operation of every service's OpenAPI document declares who may call it (``x-access``:
public, authenticated, or roles with ``x-roles``; kit/openapi.py reads it from the route's
dependencies). Each operation is called through the real gateway by each kind of caller:
anonymous, an employee, a tenant admin, a support agent, a DPO, and an employee of the other
tenant, with placeholder ids and a valid body. Then:
- public: nobody is refused by the gateway or for their role;
- authenticated: anonymous is 401, anyone signed in gets through;
- roles: anonymous is 401, a role outside ``x-roles`` is 403 ``not allowed for your role``,
  a role inside gets through.
"Gets through" means neither 401 nor 403, except the few refusals a route makes on purpose
with its own answer (a wrong code, a bad signature: ``ROUTE_REFUSALS``).

Then the objects: real resources of tenant ``demo`` (an order, a ticket, a privacy request,
a breach, a mandate...) are invisible to the other tenant's callers holding the right role,
and to a person of the same tenant who has no right on them (Bob on Alice's order): 404.
Staff callers are accounts of this module (seeded with the demo TOTP secret), so that the
matrix may end their sessions without touching the demo staff sessions other tests share.
"""

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from devstack.stack import ROOT, SERVICES
from kit.auth import REAUTHENTICATE
from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_dpo_governance import breach_body
from tests.e2e.test_sessions import record_measurement
from tests.e2e.test_subsidies import BIC, IBAN

pytestmark = pytest.mark.e2e

METHODS = ("get", "post", "put", "patch", "delete")
PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
#: Path parameters that are not ids.
PATH_VALUES = {"slug": "demo", "reference": "sandbox-placeholder-reference"}
#: Only the services' own ports serve these; the gateway must not route them.
NOT_ROUTED = ("/internal/", "/.well-known/")
HEALTH = ("/healthz", "/readyz", "/metrics")
#: What the gateway and kit.auth answer when they refuse: a caller the document admits must
#: never get one of these.
UNAUTHENTICATED = {"authentication required", "invalid token"}
NOT_YOUR_ROLE = "not allowed for your role"
#: Refusals a route makes on purpose to a caller it admits, with its own answer.
ROUTE_REFUSALS = {
    "POST /api/auth/mfa": (401, "log in first"),  # no pending login (a cookie of its own)
    "POST /api/auth/mfa/disable": (403, "invalid code"),
    "POST /api/payments/webhook": (401, "bad webhook signature"),
    # Staff use two-factor login: the password alone does not confirm them.
    "POST /api/auth/reauthenticate": (403, "the password or code is wrong"),
}
#: The family quotient's brackets the matrix sets for tenant demo.
QUOTIENT_SETTINGS = {
    "formula": "monthly",
    "brackets": [{"name": "A", "up_to": 700}, {"name": "B", "up_to": None}],
    "default_bracket": "B",
}
#: Called last, in this order: each ends or renews the caller's session.
LAST = ("POST /api/auth/sessions/end-others", "POST /api/auth/password", "POST /api/auth/logout")
#: Routes with an id in the path that no tenant owns (checked by the matrix only): the tenant
#: login page, and the platform's processors, kept by the platform for every tenant.
NOT_TENANT_OBJECTS = {
    "GET /api/auth/tenants/{slug}",
    "GET /api/auth/tenants/{slug}/sign-in",
    "GET /api/auth/oidc/{tenant}/start",
    "DELETE /api/privacy/processors/{processor_id}",
    # The platform's: clients' contracts and the client archive (its administrator only), and
    # the acceptance of a platform processor (announced to every client).
    "PUT /api/privacy/clients/{tenant_id}/contract",
    "GET /api/privacy/closures/{tenant_id}/archive",
    "POST /api/privacy/clients/subprocessors/{processor_id}/accept",
}

#: (tenant, email, first name, last name, roles) of the module's own accounts.
ACCOUNTS = [
    ("demo", "matrix-admin@demo.test", "Mat", "Admin", ["tenant_admin"]),
    ("demo", "matrix-agent@demo.test", "Mat", "Agent", ["support_agent"]),
    ("demo", "matrix-dpo@demo.test", "Mat", "Dpo", ["dpo"]),
    ("other", "admin@other.test", "Olga", "Admin", ["tenant_admin"]),
    ("other", "agent@other.test", "Otto", "Agent", ["support_agent"]),
    ("other", "dpo@other.test", "Oda", "Dpo", ["dpo"]),
]
SEED = """
import asyncio, json, sys
from identity import seed
from kit.auth import Role
accounts = json.loads(sys.argv[1])
seed.ACCOUNTS = [(t, e, f, last, [Role(r) for r in roles]) for t, e, f, last, roles in accounts]
asyncio.run(seed.seed(sys.argv[2]))
"""


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    access: str
    roles: frozenset[str]
    has_body: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Caller:
    """A kind of caller and its session (none for anonymous)."""

    name: str
    role: str | None
    tenant: str
    cookies: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-CSRF-Token": self.cookies["csrf_token"],
        }


@dataclass
class World:
    """What the module created in tenant demo, and everyone's sessions."""

    http: httpx.Client
    callers: dict[str, Caller]
    extra: dict[str, Caller]
    offer: dict[str, Any]
    ids: dict[str, str]
    calls: int = 0
    created: list[tuple[Caller, str]] = field(default_factory=list)

    def call(
        self,
        caller: Caller,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        csv: str | None = None,
    ) -> httpx.Response:
        """One request with ``caller``'s session only (the client keeps no cookie)."""
        headers = caller.headers()
        content = None
        if csv is not None:
            headers["Content-Type"] = "text/csv"
            content = csv.encode()
        response = self.http.request(
            method,
            path,
            headers=headers,
            params=params,
            json=body if content is None else None,
            content=content,
        )
        self.http.cookies.clear()
        self.calls += 1
        assert response.status_code < 500, (caller.name, method, path, response.text)
        return response

    def clean_up(self) -> None:
        """Remove what the module created, where a route removes it."""
        while self.created:
            caller, path = self.created.pop()
            if caller.cookies:
                assert self.call(caller, "DELETE", path).status_code in (200, 202, 204, 404), path


def session(platform: Platform, email: str, tenant: str = "demo") -> dict[str, str]:
    client = platform.login(email, tenant)
    cookies = {k: client.cookies[k] for k in ("__Host-session", "csrf_token")}
    client.close()
    return cookies


def documents(platform: Platform) -> dict[str, dict[str, Any]]:
    return {
        spec.name: httpx.get(platform.service_url(spec.name, "/openapi.json")).json()
        for spec in SERVICES
    }


def operations(platform: Platform) -> list[Operation]:
    found = []
    for service, document in documents(platform).items():
        for path, item in document["paths"].items():
            if path in HEALTH or path.startswith(NOT_ROUTED):
                continue
            for method in (m for m in item if m in METHODS):
                operation = item[method]
                found.append(
                    Operation(
                        service,
                        method.upper(),
                        path,
                        operation["x-access"],
                        frozenset(operation.get("x-roles", [])),
                        "requestBody" in operation,
                    )
                )
    return found


@pytest.fixture(scope="module")
def world(platform: Platform) -> Iterator[World]:
    seeded = subprocess.run(
        [sys.executable, "-c", SEED, json.dumps(ACCOUNTS), PASSWORD],
        env=platform.service_env("identity"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    callers = {
        "anonymous": Caller("anonymous", None, "demo"),
        "employee": Caller("employee", "employee", "demo", session(platform, "alice@demo.test")),
        "tenant_admin": Caller(
            "tenant_admin", "tenant_admin", "demo", session(platform, "matrix-admin@demo.test")
        ),
        "support_agent": Caller(
            "support_agent", "support_agent", "demo", session(platform, "matrix-agent@demo.test")
        ),
        "dpo": Caller("dpo", "dpo", "demo", session(platform, "matrix-dpo@demo.test")),
        "other_employee": Caller(
            "other_employee", "employee", "other", session(platform, "carol@other.test", "other")
        ),
    }
    extra = {
        "bob": Caller("bob", "employee", "demo", session(platform, "bob@demo.test")),
        "other_admin": Caller(
            "other_admin", "tenant_admin", "other", session(platform, "admin@other.test", "other")
        ),
        "other_agent": Caller(
            "other_agent", "support_agent", "other", session(platform, "agent@other.test", "other")
        ),
        "other_dpo": Caller(
            "other_dpo", "dpo", "other", session(platform, "dpo@other.test", "other")
        ),
    }
    # Its own source address: the matrix's logins and public forms spend their own budgets.
    transport = httpx.HTTPTransport(local_address="127.0.0.3", verify=platform.tls_context())
    with httpx.Client(base_url=platform.url, transport=transport, timeout=30) as http:
        made = World(http, callers, extra, {}, {})
        create_objects(made)
        yield made
        made.clean_up()


def create_objects(world: World) -> None:
    """Resources of tenant demo, each owned by someone (or by the tenant)."""
    alice, admin = world.callers["employee"], world.callers["tenant_admin"]
    agent, dpo = world.callers["support_agent"], world.callers["dpo"]
    offers = world.call(alice, "GET", "/api/offers").json()
    world.offer = next(o for o in offers if o["kind"] == "ticket")
    ids = world.ids

    def created(response: httpx.Response) -> str:
        assert response.status_code in (201, 202), response.text
        return str(response.json()["id"])

    order = {"items": [{"offer_id": world.offer["id"], "quantity": 1}]}
    ids["order"] = created(world.call(alice, "POST", "/api/orders", order))
    paid = world.call(alice, "POST", f"/api/orders/{ids['order']}/pay")
    assert paid.status_code == 200, paid.text
    ids["reference"] = paid.json()["reference"]
    # The offer as Alice's order left it (a limited stock went down by one): what the other
    # callers' attempts must leave unchanged.
    offers = world.call(alice, "GET", "/api/offers").json()
    world.offer = next(o for o in offers if o["id"] == world.offer["id"])
    ticket = {"subject": "Matrix ticket", "message": "A question."}
    ids["ticket"] = created(world.call(alice, "POST", "/api/tickets", ticket))
    ids["request"] = created(
        world.call(alice, "POST", "/api/privacy/requests", {"type": "portability"})
    )
    ids["breach"] = created(world.call(dpo, "POST", "/api/privacy/breaches", breach_body()))
    rule = {
        "name": "Matrix rule",
        "offer_kind": "goods",
        "min_children": 20,
        "amount_cents": 1,
        "cap_cents_per_year": 1,
    }
    ids["rule"] = created(world.call(admin, "POST", "/api/subsidies/rules", rule))
    world.created.append((admin, f"/api/subsidies/rules/{ids['rule']}"))
    activity = {"title": "Matrix activity", "price_cents": 1000, "starts_at": "2099-06-01T10:00Z"}
    ids["activity"] = created(world.call(admin, "POST", "/api/subsidies/activities", activity))
    mandate = {"holder": "Alice Martin", "iban": IBAN, "bic": BIC}
    ids["mandate"] = created(world.call(alice, "POST", "/api/subsidies/mandates", mandate))
    booking = {"activity_id": ids["activity"], "mandate_id": ids["mandate"]}
    ids["booking"] = created(world.call(alice, "POST", "/api/subsidies/bookings", booking))
    # A family-quotient declaration of Alice's waiting for its check (a multipart upload).
    quotient = "/api/subsidies/quotient"
    assert world.call(admin, "PUT", f"{quotient}/settings", QUOTIENT_SETTINGS).status_code == 200
    declared = world.http.post(
        quotient,
        headers=alice.headers(),
        data={"income": "1000", "shares": "1", "tax_year": "2026"},
        files={"document": ("avis.pdf", b"%PDF-1.4 matrix\n", "application/pdf")},
    )
    world.http.cookies.clear()
    ids["declaration"] = created(declared)
    company = f"Matrix {secrets.token_hex(4)}"
    applied = world.call(
        world.callers["anonymous"],
        "POST",
        "/api/partners/apply",
        {
            "tenant": "demo",
            "company": company,
            "contact_name": "Max Matrix",
            "contact_email": "max@matrix.example",
            "message": "Please list us.",
        },
    )
    assert applied.status_code == 202, applied.text
    listed = world.call(agent, "GET", "/api/partners/requests").json()
    ids["partner_request"] = next(r["id"] for r in listed if r["company"] == company)
    user = {
        "email": f"matrix-{secrets.token_hex(4)}@demo.test",
        "first_name": "M",
        "last_name": "X",
    }
    ids["user"] = created(world.call(admin, "POST", "/api/users", user))
    world.created.append((admin, f"/api/users/{ids['user']}"))
    sessions = world.call(alice, "GET", "/api/auth/sessions").json()
    ids["session"] = next(s["id"] for s in sessions if s["current"])
    # demo's id, as its admin's record of processing (Art. 30(2)) names it.
    record = world.call(admin, "GET", "/api/privacy/register").json()
    ids["tenant"] = record["controller"]["tenant_id"]


MATRIX_CAMPAIGN = {"name": "Matrix", "event": "christmas", "amount_cents": 1, "min_children": 20}


def inputs(world: World, operation: Operation) -> dict[str, Any]:
    """A valid request for ``operation`` (ids that exist nowhere in the path)."""
    now = datetime.now(UTC)
    bodies: dict[str, Any] = {
        "POST /api/auth/login": {"tenant": "demo", "email": "bob@demo.test", "password": PASSWORD},
        "POST /api/auth/mfa": {"code": "000000"},
        "POST /api/auth/mfa/setup/confirm": {"code": "000000"},
        "POST /api/auth/mfa/disable": {"code": "000000"},
        "POST /api/auth/reauthenticate": {"password": PASSWORD},
        "POST /api/auth/password-reset": {"tenant": "demo", "email": "nobody@demo.test"},
        # A provider that cannot be read (a closed port on loopback): 422 after the role check,
        # demo's settings unchanged.
        "PUT /api/auth/directory": {
            "issuer": "https://127.0.0.1:9",
            "client_id": "matrix",
            "client_secret": "matrix",
        },
        "POST /api/auth/password-reset/confirm": {
            "token": "x" * 43,
            "password": "Matrix-Password-2026!",
        },
        # The same password again: the session is renewed, nothing else changes.
        "POST /api/auth/password": {"current_password": PASSWORD, "new_password": PASSWORD},
        "POST /api/users": {
            "email": f"matrix-{secrets.token_hex(4)}@demo.test",
            "first_name": "Max",
            "last_name": "Matrix",
        },
        "POST /api/offers": {"title": "Matrix offer", "kind": "voucher", "price_cents": 100},
        "PATCH /api/offers/{offer_id}": {"title": "Matrix offer"},
        "POST /api/orders": {"items": [{"offer_id": world.offer["id"], "quantity": 1}]},
        "POST /api/payments/webhook": {},
        "PUT /api/subsidies/profile": {"children_count": 0},
        "POST /api/subsidies/rules": {
            "name": "Matrix rule",
            "offer_kind": "goods",
            "min_children": 20,
            "amount_cents": 1,
            "cap_cents_per_year": 1,
        },
        "PUT /api/subsidies/budget": {"year": 2099, "amount_cents": 1000},
        # Nobody has 20 children: the preview answers, the campaign issues nothing (422).
        "POST /api/subsidies/campaigns/preview": MATRIX_CAMPAIGN,
        "POST /api/subsidies/campaigns": MATRIX_CAMPAIGN,
        "POST /api/subsidies/activities": {
            "title": "Matrix activity",
            "price_cents": 1000,
            "starts_at": "2099-06-01T10:00:00Z",
        },
        "POST /api/subsidies/mandates": {"holder": "Max Matrix", "iban": IBAN, "bic": BIC},
        "POST /api/subsidies/bookings": {"activity_id": PLACEHOLDER, "mandate_id": PLACEHOLDER},
        "PUT /api/subsidies/quotient/settings": QUOTIENT_SETTINGS,
        # Multipart on the route: a JSON body gets through the gateway and the roles, then 422.
        "POST /api/subsidies/quotient": {},
        "POST /api/subsidies/quotient/pending/{declaration_id}/check": {"approved": False},
        "POST /api/tickets": {"subject": "Matrix", "message": "A question."},
        "PATCH /api/tickets/{ticket_id}": {"status": "pending"},
        "POST /api/tickets/{ticket_id}/messages": {"body": "An answer."},
        "POST /api/partners/apply": {
            "tenant": "demo",
            "company": "Matrix Co",
            "contact_name": "Max Matrix",
            "contact_email": "max@matrix.example",
            "message": "Please list us.",
        },
        "PATCH /api/partners/requests/{request_id}": {"status": "contacted"},
        "POST /api/privacy/requests": {"type": "access"},
        "POST /api/privacy/requests/on-behalf": {
            "type": "access",
            "email": "bob@demo.test",
            "channel": "email",
        },
        "POST /api/privacy/requests/{request_id}/verify": {"code": "123456"},
        "POST /api/privacy/requests/{request_id}/extend": {"months": 1, "reason": "matrix check"},
        "PUT /api/privacy/consents": {"purpose": "newsletter", "granted": False},
        "POST /api/privacy/newsletters": {"subject": "Matrix", "text": "Hello."},
        "POST /api/privacy/unsubscribe": {"token": "x" * 32},
        "POST /api/privacy/processors": {
            "name": "Matrix hosting",
            "role": "hosting",
            "data_categories": ["identity"],
            "location": "FR",
        },
        "POST /api/privacy/breaches": breach_body(aware_at=now.isoformat()),
        "POST /api/privacy/breaches/preview": {
            "services": ["support"],
            "categories": ["support conversation"],
        },
        "POST /api/privacy/breaches/{breach_id}/notifications": {
            "phase": "initial",
            "text": "Notified.",
        },
        "PUT /api/privacy/clients/{tenant_id}/contract": {
            "client_name": "Matrix client",
            "contract_reference": "DPA-MATRIX",
            "signed_at": "2026-01-01T00:00:00Z",
        },
        # A valid body that a tenant admin cannot confirm: never close demo (422 after the
        # role and the recent sign-in are checked).
        "POST /api/privacy/closures": {"confirm": "not-this-tenant"},
    }
    path = operation.path
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        path = path.replace(f"{{{name}}}", PATH_VALUES.get(name, PLACEHOLDER))
    request: dict[str, Any] = {"path": path}
    if operation.key == "POST /api/users/import":
        request["csv"] = "email,first_name,last_name\nmatrix-import@demo.test,Max,Import\n"
        request["params"] = {"dry_run": "true"}
    elif operation.has_body:
        assert operation.key in bodies, f"the matrix needs a body for {operation.key}"
        request["body"] = bodies[operation.key]
    return request


def detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("detail") if isinstance(body, dict) else None


def verdict(operation: Operation, caller: Caller, response: httpx.Response) -> str | None:
    """What is wrong with ``response`` (None: as declared)."""
    status, said = response.status_code, detail(response)
    if caller.role is None and operation.access != "public":
        expected = status == 401 and said == "authentication required"
        return None if expected else f"anonymous got {status} {said!r}, not 401"
    if operation.access == "roles" and caller.role not in operation.roles:
        expected = status == 403 and said == NOT_YOUR_ROLE
        return None if expected else f"{caller.name} got {status} {said!r}, not 403 for the role"
    if status not in (401, 403):
        return None
    if ROUTE_REFUSALS.get(operation.key) == (status, said):
        return None  # the route's own answer to this request, after letting the caller in
    if (status, said) == (403, REAUTHENTICATE):
        return None  # a sensitive action let the caller in, and asks for the password again
    return f"{caller.name} is declared allowed but got {status} {said!r}"


def test_routes_for_services_only_are_unreachable_through_the_gateway(
    platform: Platform, world: World
) -> None:
    internal = []
    for service, document in documents(platform).items():
        for path, item in document["paths"].items():
            if path.startswith(NOT_ROUTED):
                internal += [(service, m.upper(), path) for m in item if m in METHODS]
    assert {path for _s, _m, path in internal} >= {
        "/internal/verify",
        "/internal/users/lookup",
        "/internal/grants",
        "/.well-known/jwks.json",
    }
    admin = world.callers["tenant_admin"]
    for service, method, path in internal:
        for caller in (world.callers["anonymous"], admin):
            response = world.call(caller, method, path, {} if method == "POST" else None)
            # The front end's page (any other path is one of its pages) or the gateway's JSON
            # 404/405: never the service's answer.
            page = '<script type="module" src="/js/app.js"></script>' in response.text
            refused = response.status_code in (404, 405) and detail(response) in (
                "not found",
                "method not allowed",
            )
            assert page or refused, (service, method, path, response.status_code, response.text)
            assert "keys" not in response.text and "x-internal-token" not in response.headers


def test_every_operation_declares_who_may_call_it(platform: Platform) -> None:
    found = operations(platform)
    by_service = {spec.name: [o for o in found if o.service == spec.name] for spec in SERVICES}
    assert all(len(ops) >= 5 for ops in by_service.values()), {
        s: len(o) for s, o in by_service.items()
    }
    for operation in found:
        assert operation.path.startswith("/api/"), operation
        assert operation.access in ("public", "authenticated", "roles"), operation
        assert (operation.access == "roles") == bool(operation.roles), operation
    public = sorted(o.key for o in found if o.access == "public")
    # The gateway's public locations (gateway/templates/routes.conf.template), and no more.
    assert public == sorted(
        [
            "POST /api/auth/login",
            "POST /api/auth/mfa",
            "POST /api/auth/password-reset",
            "POST /api/auth/password-reset/confirm",
            "GET /api/auth/tenants/{slug}",
            "GET /api/auth/tenants/{slug}/sign-in",
            "GET /api/auth/oidc/{tenant}/start",
            "GET /api/auth/oidc/callback",
            "POST /api/partners/apply",
            "POST /api/payments/webhook",
            "POST /api/privacy/unsubscribe",
            "GET /api/privacy/dpo",
        ]
    )


def object_checks(world: World) -> list[tuple[str, str, str, str, Any, int]]:
    """(caller, method, path template, path, body, expected status) on tenant demo's objects."""
    ids = world.ids
    order, ticket, request = ids["order"], ids["ticket"], ids["request"]
    breach, partner = ids["breach"], ids["partner_request"]
    offer = world.offer["id"]
    checks: list[tuple[str, str, str, str, Any, int]] = []
    for who in ("bob", "other_employee", "other_admin"):  # Alice's order
        checks += [
            (who, "GET", "/api/orders/{order_id}", f"/api/orders/{order}", None, 404),
            (
                who,
                "POST",
                "/api/orders/{order_id}/cancel",
                f"/api/orders/{order}/cancel",
                None,
                404,
            ),
            (
                who,
                "GET",
                "/api/orders/{order_id}/invoice",
                f"/api/orders/{order}/invoice",
                None,
                404,
            ),
            (who, "POST", "/api/orders/{order_id}/pay", f"/api/orders/{order}/pay", None, 404),
            (
                who,
                "POST",
                "/api/payments/sandbox/{reference}",
                f"/api/payments/sandbox/{ids['reference']}",
                None,
                404,
            ),
        ]
    for who in ("bob", "other_employee", "other_agent"):  # Alice's ticket
        checks += [
            (who, "GET", "/api/tickets/{ticket_id}", f"/api/tickets/{ticket}", None, 404),
            (
                who,
                "GET",
                "/api/tickets/{ticket_id}/messages",
                f"/api/tickets/{ticket}/messages",
                None,
                404,
            ),
            (
                who,
                "POST",
                "/api/tickets/{ticket_id}/messages",
                f"/api/tickets/{ticket}/messages",
                {"body": "Let me in."},
                404,
            ),
        ]
    checks.append(
        (
            "other_agent",
            "PATCH",
            "/api/tickets/{ticket_id}",
            f"/api/tickets/{ticket}",
            {"status": "closed"},
            404,
        )
    )
    for who in ("bob", "other_employee", "other_dpo"):  # Alice's data-subject request
        base = f"/api/privacy/requests/{request}"
        checks += [
            (who, "GET", "/api/privacy/requests/{request_id}", base, None, 404),
            (
                who,
                "GET",
                "/api/privacy/requests/{request_id}/archive",
                f"{base}/archive",
                None,
                404,
            ),
            (who, "POST", "/api/privacy/requests/{request_id}/cancel", f"{base}/cancel", None, 404),
        ]
    base = f"/api/privacy/requests/{request}"
    checks += [
        (
            "other_dpo",
            "POST",
            "/api/privacy/requests/{request_id}/extend",
            f"{base}/extend",
            {"months": 1, "reason": "not my tenant"},
            404,
        ),
        ("other_dpo", "POST", "/api/privacy/requests/{request_id}/lift", f"{base}/lift", None, 404),
        (
            "other_dpo",
            "POST",
            "/api/privacy/requests/{request_id}/verify",
            f"{base}/verify",
            {"code": "123456"},
            404,
        ),
    ]
    base = f"/api/privacy/breaches/{breach}"
    checks += [  # the demo DPO's breach
        ("other_dpo", "GET", "/api/privacy/breaches/{breach_id}", base, None, 404),
        (
            "other_dpo",
            "POST",
            "/api/privacy/breaches/{breach_id}/notifications",
            f"{base}/notifications",
            {"phase": "initial", "text": "Not mine."},
            404,
        ),
        (
            "other_dpo",
            "POST",
            "/api/privacy/breaches/{breach_id}/notify-people",
            f"{base}/notify-people",
            None,
            404,
        ),
    ]
    checks += [  # the tenant's offer, rule, partner request and account
        (
            "other_admin",
            "PATCH",
            "/api/offers/{offer_id}",
            f"/api/offers/{offer}",
            {"price_cents": 1},
            404,
        ),
        ("other_admin", "DELETE", "/api/offers/{offer_id}", f"/api/offers/{offer}", None, 404),
        (
            "other_admin",
            "DELETE",
            "/api/subsidies/rules/{rule_id}",
            f"/api/subsidies/rules/{ids['rule']}",
            None,
            404,
        ),
        (
            "other_agent",
            "PATCH",
            "/api/partners/requests/{request_id}",
            f"/api/partners/requests/{partner}",
            {"status": "rejected"},
            404,
        ),
        (
            "other_dpo",
            "DELETE",
            "/api/partners/requests/{request_id}",
            f"/api/partners/requests/{partner}",
            None,
            404,
        ),
        ("other_admin", "DELETE", "/api/users/{user_id}", f"/api/users/{ids['user']}", None, 404),
        (
            "other_admin",
            "GET",
            "/api/privacy/closures/{tenant_id}",
            f"/api/privacy/closures/{ids['tenant']}",
            None,
            404,
        ),
    ]
    quotient = f"/api/subsidies/quotient/pending/{ids['declaration']}"
    checks += [  # Alice's family-quotient declaration, for another tenant's admin
        (
            "other_admin",
            "GET",
            "/api/subsidies/quotient/pending/{declaration_id}/document",
            f"{quotient}/document",
            None,
            404,
        ),
        (
            "other_admin",
            "POST",
            "/api/subsidies/quotient/pending/{declaration_id}/check",
            f"{quotient}/check",
            {"approved": False},
            404,
        ),
    ]
    for who in ("bob", "other_employee"):  # Alice's mandate, booking and session
        checks += [
            (
                who,
                "DELETE",
                "/api/subsidies/mandates/{mandate_id}",
                f"/api/subsidies/mandates/{ids['mandate']}",
                None,
                404,
            ),
            (
                who,
                "POST",
                "/api/subsidies/bookings/{booking_id}/cancel",
                f"/api/subsidies/bookings/{ids['booking']}/cancel",
                None,
                404,
            ),
            (
                who,
                "DELETE",
                "/api/auth/sessions/{session_id}",
                f"/api/auth/sessions/{ids['session']}",
                None,
                404,
            ),
        ]
    return checks


def test_objects_of_a_tenant_are_invisible_to_other_tenants_and_other_people(
    platform: Platform, world: World
) -> None:
    everyone = world.callers | world.extra
    checks = object_checks(world)
    failures = []
    for who, method, _template, path, body, expected in checks:
        response = world.call(everyone[who], method, path, body)
        if response.status_code != expected:
            failures.append((who, method, path, response.status_code, response.text[:200]))
    assert not failures, failures
    # Every route with an id in its path is in there (or owned by no tenant).
    with_ids = {o.key for o in operations(platform) if "{" in o.path} - NOT_TENANT_OBJECTS
    covered = {f"{method} {template}" for _w, method, template, *_rest in checks}
    assert with_ids <= covered, sorted(with_ids - covered)
    # Nothing was changed, and the rightful callers still see it all.
    alice, admin = world.callers["employee"], world.callers["tenant_admin"]
    ids = world.ids
    for caller, path in (
        (alice, f"/api/orders/{ids['order']}"),
        (admin, f"/api/orders/{ids['order']}"),
        (alice, f"/api/tickets/{ids['ticket']}"),
        (world.callers["support_agent"], f"/api/tickets/{ids['ticket']}"),
        (world.callers["support_agent"], f"/api/tickets/{ids['ticket']}/messages"),
        (alice, f"/api/privacy/requests/{ids['request']}"),
        (world.callers["dpo"], f"/api/privacy/breaches/{ids['breach']}"),
        (alice, "/api/auth/me"),
    ):
        assert world.call(caller, "GET", path).status_code == 200, path
    assert world.call(alice, "GET", f"/api/tickets/{ids['ticket']}").json()["status"] == "open"
    mandates = world.call(alice, "GET", "/api/subsidies/mandates").json()
    assert next(m for m in mandates if m["id"] == ids["mandate"])["status"] == "active"
    bookings = world.call(alice, "GET", "/api/subsidies/bookings").json()
    assert next(b for b in bookings if b["id"] == ids["booking"])["status"] != "cancelled"
    offers = world.call(alice, "GET", "/api/offers").json()
    assert next(o for o in offers if o["id"] == world.offer["id"]) == world.offer
    quotient = world.call(alice, "GET", "/api/subsidies/quotient").json()
    assert quotient["status"] == "pending"
    print(f"role matrix: {len(checks)} calls on another tenant's or person's objects")
    record_measurement(platform, "role_matrix_object_checks", len(checks))


def test_only_the_dpo_sees_the_tenant_queue_of_requests(world: World) -> None:
    """``GET /api/privacy/requests`` is open to anyone signed in, for their own requests; the
    tenant's queue (``scope=tenant``) is the DPO's."""
    for name, caller in world.callers.items():
        response = world.call(caller, "GET", "/api/privacy/requests", params={"scope": "tenant"})
        expected = {"anonymous": 401, "dpo": 200}.get(name, 403)
        assert response.status_code == expected, (name, response.text)


def test_every_operation_admits_exactly_the_declared_callers(
    platform: Platform, world: World
) -> None:
    found = operations(platform)
    ordered = [o for o in found if o.key not in LAST] + sorted(
        (o for o in found if o.key in LAST), key=lambda o: LAST.index(o.key)
    )
    assert [o.key for o in ordered[-len(LAST) :]] == list(LAST)
    started, calls = time.monotonic(), 0
    problems = []
    statuses: dict[int, int] = {}
    table: dict[str, dict[str, int]] = {}
    for operation in ordered:
        if operation.key == LAST[0]:
            world.clean_up()  # while the sessions are still open
        request = inputs(world, operation)
        for caller in world.callers.values():
            response = world.call(
                caller,
                operation.method,
                request["path"],
                request.get("body"),
                params=request.get("params"),
                csv=request.get("csv"),
            )
            calls += 1
            table.setdefault(f"{operation.key} ({operation.access})", {})[caller.name] = (
                response.status_code
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            wrong = verdict(operation, caller, response)
            if wrong:
                problems.append(f"{operation.key}: {wrong}")
            if operation.key == "POST /api/auth/password" and response.status_code == 204:
                caller.cookies = {k: response.cookies[k] for k in ("__Host-session", "csrf_token")}
            if operation.method == "POST" and response.status_code == 201:
                removable = [
                    o
                    for o in found
                    if o.method == "DELETE"
                    and o.path.startswith(f"{operation.path}/{{")
                    and o.path.count("/") == operation.path.count("/") + 1
                ]
                if removable:
                    world.created.append((caller, f"{operation.path}/{response.json()['id']}"))
    callers = len(world.callers)
    print(
        f"role matrix: {len(found)} operations x {callers} callers = {calls} calls"
        f" in {time.monotonic() - started:.1f} s; statuses {dict(sorted(statuses.items()))}"
    )
    # The matrix itself, status by operation and caller (the security suite links to it).
    (platform.var_dir / "role-matrix.json").write_text(json.dumps(table, indent=1))
    record_measurement(platform, "role_matrix_operations", len(found))
    record_measurement(platform, "role_matrix_callers", callers)
    record_measurement(platform, "role_matrix_calls", calls)
    assert calls == len(found) * callers
    assert not problems, "\n".join(problems)
    # The last calls ended the sessions: nobody of the matrix is signed in any more.
    for caller in world.callers.values():
        if caller.cookies:
            assert world.call(caller, "GET", "/api/auth/me").status_code == 401, caller.name
            caller.cookies = {}
