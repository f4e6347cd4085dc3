"""Typed clients: one exchange per caller and audience, the peer's refusals as domain errors."""

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from kit.auth import Principal
from kit.clients import (
    Answer,
    HttpTransport,
    IdentityClient,
    PeerRequest,
    Peers,
    SubsidiesClient,
)
from kit.errors import Invalid, NotFound, Unavailable
from kit.settings import ServiceSettings
from kit.testing import BadgeVerifier

settings = ServiceSettings(service_name="orders")
seen: list[tuple[str, str, str | None]] = []


async def peer(request: PeerRequest) -> Answer:
    seen.append((request.method, request.path, request.headers.get("X-Internal-Token")))
    path = request.path
    if path == "/internal/token":
        return Answer.of(200, {"access_token": "exchanged", "expires_in": 60})
    if path == "/internal/users/contact":
        return Answer.of(200, {"email": "ann@demo.test"})
    if path == "/internal/users/lookup":
        return Answer.of(404 if b"nobody" in (request.content or b"") else 422, {})
    if path == "/api/auth/tenants/demo":
        return Answer.of(200, {"slug": "demo", "name": "Demo"})
    if path == "/internal/grants":
        return Answer.of(503, {})
    return Answer.of(404, {})


@pytest.fixture
def peers() -> Peers:
    seen.clear()
    return Peers(settings, transport=peer)


async def test_a_call_for_the_caller_carries_a_token_exchanged_once(peers: Peers) -> None:
    identity = IdentityClient(peers, settings.identity_url, "caller-token")
    assert await identity.contact() == "ann@demo.test"
    assert await identity.contact() == "ann@demo.test"
    assert [s[1] for s in seen].count("/internal/token") == 1  # kept while it lives
    assert seen[-1] == ("GET", "/internal/users/contact", "exchanged")


def person(session: str, roles: frozenset[str] = frozenset({"employee"})) -> Principal:
    return Principal(user_id="u1", tenant_id="t1", tenant="demo", roles=roles, session_id=session)


async def test_an_exchange_is_kept_for_the_person_not_for_each_token_of_their_session() -> None:
    """The gateway signs a new token for a session every 30 s: the next one, verified as the
    same person, session and roles, finds the exchange still living; another session, other
    roles or a token that does not verify get an exchange of their own."""
    seen.clear()
    verifier = BadgeVerifier(
        {
            "first": person("s1"),
            "next": person("s1"),  # the same session's next token
            "other-session": person("s2"),
            "promoted": person("s1", frozenset({"employee", "cse_admin"})),
        }
    )
    carried: list[str | None] = []

    async def identity(request: PeerRequest) -> Answer:
        if request.path == "/internal/token":  # each exchange names the token it came from
            subject = json.loads(request.content or b"")["subject_token"]
            return Answer.of(200, {"access_token": f"for-{subject}", "expires_in": 60})
        carried.append(request.headers.get("X-Internal-Token"))
        return Answer.of(200, {"email": "ann@demo.test"})

    peers = Peers(settings, verifier=verifier, transport=identity)
    for token in ("first", "next", "first", "other-session", "promoted", "forged", "forged"):
        assert await IdentityClient(peers, settings.identity_url, token).contact()
    # first and next share one; other-session, promoted and forged (kept as the token) one each
    assert carried == [
        "for-first",
        "for-first",
        "for-first",
        "for-other-session",
        "for-promoted",
        "for-forged",
        "for-forged",
    ]


async def test_refusals_become_domain_errors(peers: Peers) -> None:
    identity = IdentityClient(peers, settings.identity_url, "caller-token")
    with pytest.raises(NotFound):
        await identity.account_id("nobody@demo.test")
    with pytest.raises(Invalid):
        await identity.account_id("not-an-email")
    with pytest.raises(Unavailable):
        await SubsidiesClient(peers, settings.subsidies_url, "caller-token").reserve("o1", [])


async def test_public_route_needs_no_caller_and_sends_no_token(peers: Peers) -> None:
    assert await IdentityClient(peers, settings.identity_url, None).tenant_slug("DEMO") == "demo"
    assert seen == [("GET", "/api/auth/tenants/demo", None)]
    with pytest.raises(NotFound):
        await IdentityClient(peers, settings.identity_url, None).tenant_slug("nope")


# -- over HTTP, to a real server on this machine ----------------------------------------------

received: list[web.Request] = []
#: The client's address and port of each call: one connection, one port.
came_from: list[object] = []


async def answer(request: web.Request) -> web.StreamResponse:
    received.append(request)
    came_from.append(request.transport and request.transport.get_extra_info("peername"))
    if request.path == "/slow":
        await asyncio.sleep(2)
    if request.path == "/moved":
        raise web.HTTPFound("/elsewhere", headers={"Set-Cookie": "s=1; Path=/"})
    if request.path == "/text":
        return web.Response(text="not JSON")
    body = await request.json() if request.can_read_body else None
    return web.json_response({"body": body, "token": request.headers.get("X-Internal-Token")})


@pytest.fixture
async def server() -> AsyncIterator[str]:
    received.clear()
    came_from.clear()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "localhost", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        # By name: aiohttp's own cookie jar keeps no cookie of a bare IP address anyway.
        yield f"http://localhost:{port}"
    finally:
        await runner.cleanup()


async def test_calls_go_over_one_pool_with_their_body_and_headers(server: str) -> None:
    async with Peers(settings) as peers:
        for n in range(3):
            sent = await peers.send_checked(
                "POST", f"{server}/internal/x", json={"n": n}, headers={"X-Internal-Token": "t"}
            )
            assert sent.status_code == 200
            assert sent.json() == {"body": {"n": n}, "token": "t"}
    assert [r.content_type for r in received] == ["application/json"] * 3
    assert len(set(came_from)) == 1 and came_from[0]  # one connection, kept between calls


async def test_no_redirect_is_followed_and_no_cookie_kept(server: str) -> None:
    async with Peers(settings) as peers:
        moved = await peers.send_checked("GET", f"{server}/moved")
        assert moved.status_code == 302
        await peers.send_checked("GET", f"{server}/after")
    assert [r.path for r in received] == ["/moved", "/after"]
    assert "Cookie" not in received[-1].headers
    # The same two calls through a pool with aiohttp's default jar do carry the cookie.
    async with aiohttp.ClientSession() as keeping:
        for path in ("/moved", "/after"):
            async with keeping.get(f"{server}{path}", allow_redirects=False):
                pass
    assert received[-1].headers.get("Cookie") == "s=1"


async def test_a_peer_that_cannot_be_reached_is_too_slow_or_not_json_is_unavailable(
    server: str,
) -> None:
    transport = HttpTransport(timeout=0.5)
    peers = Peers(settings, transport=transport)
    try:
        with pytest.raises(Unavailable):
            await peers.send_checked("GET", "http://127.0.0.1:9/internal/x")  # nothing listens
        with pytest.raises(Unavailable):
            await peers.send_checked("GET", f"{server}/slow")
        answer = await peers.send_checked("GET", f"{server}/text")
        assert answer.status_code == 200
        with pytest.raises(Unavailable):
            answer.json()
    finally:
        await transport.aclose()
    with pytest.raises(Unavailable):  # closed with its app: no pool opened again
        await peers.send_checked("GET", f"{server}/after")
