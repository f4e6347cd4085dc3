"""Token verification refuses every token the gateway did not sign for us."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit.auth import Principal, Role, StaticKeys, TokenVerifier, require_roles
from kit.errors import Forbidden, Unauthenticated

KID = "k1"


def _jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def verifier(key: Ed25519PrivateKey) -> TokenVerifier:
    return TokenVerifier(
        StaticKeys(lambda: {"keys": [_jwk(key, KID)]}), issuer="identity", audience="platform"
    )


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "iss": "identity",
        "aud": "platform",
        "sub": "user-1",
        "tid": "tenant-1",
        "tenant": "demo",
        "roles": ["employee"],
        "sid": "session-1",
        "jti": "j1",
        "iat": now,
        "exp": now + timedelta(minutes=2),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: Ed25519PrivateKey, body: dict[str, Any], kid: str = KID, **headers: Any) -> str:
    return jwt.encode(body, key, algorithm="EdDSA", headers={"kid": kid, **headers})


async def test_valid_token_gives_the_principal(
    key: Ed25519PrivateKey, verifier: TokenVerifier
) -> None:
    principal = await verifier.verify(sign(key, claims()))
    assert principal == Principal(
        user_id="user-1",
        tenant_id="tenant-1",
        tenant="demo",
        roles=frozenset({"employee"}),
        session_id="session-1",
    )


async def test_expired_token_is_refused(key: Ed25519PrivateKey, verifier: TokenVerifier) -> None:
    past = datetime.now(UTC) - timedelta(minutes=5)
    with pytest.raises(Unauthenticated):
        await verifier.verify(sign(key, claims(iat=past, exp=past + timedelta(seconds=30))))


async def test_token_of_another_key_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(sign(Ed25519PrivateKey.generate(), claims()))


async def test_alg_none_is_refused(verifier: TokenVerifier) -> None:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": KID}).encode())
    body = base64.urlsafe_b64encode(json.dumps(claims(iat=1, exp=9999999999)).encode())
    token = f"{header.rstrip(b'=').decode()}.{body.rstrip(b'=').decode()}."
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)


async def test_algorithm_confusion_is_refused(
    key: Ed25519PrivateKey, verifier: TokenVerifier
) -> None:
    # HS256 "signed" with the public key as the secret: the classic confusion attack.
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    header = {"alg": "HS256", "kid": KID, "typ": "JWT"}
    segments = [
        base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"="),
        base64.urlsafe_b64encode(json.dumps(claims(iat=1, exp=9999999999)).encode()).rstrip(b"="),
    ]
    signature = hmac.new(public, b".".join(segments), hashlib.sha256).digest()
    token = b".".join([*segments, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)


async def test_missing_exp_is_refused(key: Ed25519PrivateKey, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(sign(key, claims(exp=None)))


async def test_unknown_kid_is_refused(key: Ed25519PrivateKey, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(sign(key, claims(), kid="not-ours"))


async def test_embedded_key_header_is_refused(
    key: Ed25519PrivateKey, verifier: TokenVerifier
) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(sign(key, claims(), jku="https://attacker.example/jwks.json"))


@pytest.mark.parametrize("field,value", [("aud", "elsewhere"), ("iss", "attacker")])
async def test_wrong_audience_or_issuer_is_refused(
    key: Ed25519PrivateKey, verifier: TokenVerifier, field: str, value: str
) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(sign(key, claims(**{field: value})))


async def test_garbage_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify("not.a.token")


def _principal(*roles: str) -> Principal:
    return Principal("u", "t", "demo", frozenset(roles), "s")


async def test_role_check_lets_the_right_role_through() -> None:
    check = require_roles(Role.TENANT_ADMIN, Role.PLATFORM_ADMIN)
    principal = _principal("tenant_admin")
    assert await check(principal) is principal


async def test_role_check_refuses_other_roles() -> None:
    check = require_roles(Role.DPO)
    with pytest.raises(Forbidden):
        await check(_principal("employee", "support_agent"))
