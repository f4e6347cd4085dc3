"""Service-to-service calls carry who calls, for whom, to whom (token exchange, RFC 8693).

Each service is its own token audience, and an internal route hears only the services it
expects, acting for a person with a token identity exchanged for them: a person's own token,
a token made for another service, one exchanged by a service that route does not expect, and
an exchanged token replayed on a person's own routes are all refused.
"""

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

GRANT = {
    "order_id": "forged-order",
    "lines": [{"kind": "ticket", "quantity": 1, "unit_price_cents": 100_000}],
}


def gateway_token(platform: Platform, client: httpx.Client, audience: str) -> str:
    """What the gateway would forward to ``audience`` for this session (asked of identity
    straight: tests only)."""
    verify = httpx.get(
        platform.service_url("identity", "/internal/verify"),
        headers={"X-Session-Token": client.cookies["__Host-session"], "X-Token-Audience": audience},
    )
    assert verify.status_code == 204, verify.text
    return str(verify.headers["x-internal-token"])


def exchange(platform: Platform, token: str, audience: str) -> httpx.Response:
    body = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "audience": audience,
    }
    return httpx.post(platform.service_url("identity", "/internal/token"), json=body)


def call(platform: Platform, service: str, method: str, path: str, token: str) -> int:
    body = GRANT if path == "/internal/grants" else {"email": "alice@demo.test"}
    response = httpx.request(
        method,
        platform.service_url(service, path),
        headers={"X-Internal-Token": token},
        json=body if method == "POST" else None,
    )
    return response.status_code


def test_each_internal_route_hears_only_the_service_it_expects(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    dpo = platform.login("dpo@demo.test")
    admin = platform.login("admin@demo.test")
    orders_token = gateway_token(platform, alice, "orders")
    privacy_token = gateway_token(platform, dpo, "privacy")
    admin_from_subsidies = exchange(
        platform, gateway_token(platform, admin, "subsidies"), "identity"
    )
    assert admin_from_subsidies.status_code == 200, admin_from_subsidies.text
    from_orders = exchange(platform, orders_token, "subsidies")
    assert from_orders.status_code == 200, from_orders.text
    assert from_orders.json()["issued_token_type"] == "urn:ietf:params:oauth:token-type:jwt"
    for_identity = exchange(platform, orders_token, "identity").json()["access_token"]
    dpo_for_identity = exchange(platform, privacy_token, "identity").json()["access_token"]
    # Who may reach each internal route: (service, method, path) -> the token that may.
    routes = {
        ("subsidies", "POST", "/internal/grants"): from_orders.json()["access_token"],
        ("identity", "POST", "/internal/users/lookup"): dpo_for_identity,
        ("identity", "GET", "/internal/users/contact"): for_identity,
        ("identity", "GET", "/internal/users/employees"): admin_from_subsidies.json()[
            "access_token"
        ],
    }
    own = {"lookup": dpo, "employees": admin}
    for (service, method, path), allowed in routes.items():
        refused = {
            "the person's own token for that service": gateway_token(
                platform, own.get(path.rsplit("/", 1)[-1], alice), service
            ),
            "a token made for another service": orders_token,
            "a token exchanged by another service": (
                dpo_for_identity if "contact" in path else for_identity
            ),
        }
        for what, token in refused.items():
            status = call(platform, service, method, path, token)
            assert status in (401, 403), (path, what, status)
        assert call(platform, service, method, path, allowed) == 200, path


def test_exchanges_are_limited_and_exchanged_tokens_stay_internal(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    support_token = gateway_token(platform, alice, "support")
    orders_token = gateway_token(platform, alice, "orders")
    # support never calls subsidies for anyone: identity mints nothing for it.
    assert exchange(platform, support_token, "subsidies").status_code == 403
    # An exchanged token is not exchanged again, and no unknown grant type is served.
    exchanged = exchange(platform, orders_token, "identity").json()["access_token"]
    assert exchange(platform, exchanged, "subsidies").status_code == 403
    wrong = httpx.post(
        platform.service_url("identity", "/internal/token"),
        json={
            "grant_type": "client_credentials",
            "subject_token": orders_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "audience": "subsidies",
        },
    )
    assert wrong.status_code == 422
    # Acting for Alice inside identity is not being Alice on her own routes.
    me = httpx.get(
        platform.service_url("identity", "/api/auth/me"), headers={"X-Internal-Token": exchanged}
    )
    assert me.status_code == 401
    # The gateway asks identity for a known service's token only.
    unknown = httpx.get(
        platform.service_url("identity", "/internal/verify"),
        headers={"X-Session-Token": alice.cookies["__Host-session"], "X-Token-Audience": "x"},
    )
    assert unknown.status_code == 401


def test_subsidies_lists_the_tenant_employees_for_an_admin_only(platform: Platform) -> None:
    """A gift campaign with no condition reaches every employee: subsidies asks identity, for
    a tenant admin, the ids of the tenant's active employees (ids only), and for nobody else."""
    admin = platform.login("admin@demo.test")
    alice = platform.login("alice@demo.test")
    for_admin = exchange(platform, gateway_token(platform, admin, "subsidies"), "identity")
    answer = httpx.get(
        platform.service_url("identity", "/internal/users/employees"),
        headers={"X-Internal-Token": for_admin.json()["access_token"]},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"ids", "next"}
    assert alice.get("/api/auth/me").json()["id"] in body["ids"]
    assert admin.get("/api/auth/me").json()["id"] not in body["ids"]  # an admin, no employee
    carol = platform.login("carol@other.test", tenant="other")
    assert carol.get("/api/auth/me").json()["id"] not in body["ids"]  # another tenant's
    for_alice = exchange(platform, gateway_token(platform, alice, "subsidies"), "identity")
    refused = httpx.get(
        platform.service_url("identity", "/internal/users/employees"),
        headers={"X-Internal-Token": for_alice.json()["access_token"]},
    )
    assert refused.status_code == 403
