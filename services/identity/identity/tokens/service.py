"""Internal tokens: the gateway's, one per request and audience, and their exchange between
services (in the spirit of RFC 8693, OAuth 2.0 Token Exchange).

Each service is its own audience: the token the gateway forwards to orders names ``orders``
and no other service accepts it. When orders must call subsidies for the person, it sends that
token here and gets one for ``subsidies`` whose ``act`` claim names orders; subsidies accepts
it only on the internal routes that expect orders (``kit.auth.service_caller``). Only the
pairs of ``settings.token_exchanges`` are minted, never from a token that is itself
exchanged, and the new token lives no longer than the one it came from.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from identity.config import Settings
from identity.tokens.keys import ALGORITHM, SigningKeys
from kit.auth import parse_jwks
from kit.errors import Forbidden, Invalid, Unauthenticated

#: RFC 8693's names, used as the request's ``grant_type`` and token types.
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


def audience_known(settings: Settings, audience: str) -> bool:
    return audience in settings.audiences


def gateway_claims(settings: Settings, audience: str, claims: dict[str, Any]) -> dict[str, Any]:
    """The claims of the token the gateway forwards to ``audience`` (a service of the
    platform, named by the gateway's route); an unknown audience gets no token."""
    if not audience_known(settings, audience):
        raise Unauthenticated("authentication required")
    return {"iss": settings.jwt_issuer, "aud": audience} | claims


def _decode(keys: SigningKeys, settings: Settings, token: str) -> dict[str, Any]:
    """A token identity signed for one of the platform's services, with its claims."""
    try:
        header = jwt.get_unverified_header(token)
        key = parse_jwks(keys.jwks())[str(header["kid"])]
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[ALGORITHM],
            audience=list(settings.audiences),
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
        )
    except (jwt.PyJWTError, KeyError, TypeError) as exc:
        raise Unauthenticated("invalid subject token") from exc
    return claims


def exchange(
    keys: SigningKeys,
    settings: Settings,
    *,
    subject_token: str,
    audience: str,
    now: datetime | None = None,
) -> tuple[str, int]:
    """A token for ``audience`` acting for the subject token's person; the actor is the
    service the subject token was issued to. Returns (token, seconds it lives)."""
    claims = _decode(keys, settings, subject_token)
    actor = str(claims["aud"])
    if "act" in claims:
        raise Forbidden("an exchanged token cannot be exchanged again")
    if audience not in settings.token_exchanges.get(actor, []):
        raise Forbidden("this service may not call that one on a person's behalf")
    moment = now or datetime.now(UTC)
    left = int(claims["exp"]) - int(moment.timestamp())
    lifetime = min(left, settings.internal_token_seconds)
    if lifetime <= 0:
        raise Unauthenticated("invalid subject token")
    kept = {
        k: claims[k] for k in ("sub", "tid", "tenant", "roles", "sid", "auth_time") if k in claims
    }
    minted = {"iss": settings.jwt_issuer, "aud": audience, "act": {"sub": actor}} | kept
    return keys.sign(minted, lifetime=timedelta(seconds=lifetime)), lifetime


def check_request(grant_type: str, subject_token_type: str) -> None:
    if grant_type != GRANT_TYPE or subject_token_type != JWT_TYPE:
        raise Invalid("unsupported grant_type or subject_token_type")
