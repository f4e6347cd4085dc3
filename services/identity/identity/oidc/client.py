"""The client side of OpenID Connect (authorization code flow with PKCE), over HTTP to the
employer's directory: its discovery document, its signing keys (JWKS), the code exchanged for
an ID token, and the ID token verified (PyJWT: signature against the provider's keys, ``iss``,
``aud``, ``exp``, ``iat``, then ``nonce``). The client secret is stored encrypted.

Nothing here is hand-made cryptography: PKCE is SHA-256 of a random verifier (RFC 7636), the
signature check is PyJWT's, the encryption ``kit.crypto.AesGcm``."""

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import jwt

from identity.config import Settings
from identity.oidc.models import Refusal
from kit.crypto import AesGcm

#: The signature algorithms an ID token may use (never ``none``, never an HMAC: the client
#: secret is not a signing key here).
ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_FOREIGN_KEY_HEADERS = ("jwk", "jku", "x5u", "x5c")
#: An unknown key id makes the keys be fetched again, at most this often.
_REFETCH_SECONDS = 10.0
#: A host name's addresses (``getaddrinfo``); a unit test stands in a resolver.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (every one: a name may point anywhere)."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, proto=6)
    return [str(entry[4][0]) for entry in found]


class TooLarge(Exception):
    """A provider's answer beyond ``oidc_max_response_bytes``."""


class Refused(Exception):
    """A sign-in through the directory cannot go on: the refusal's code, and a reason for the
    security log (never a claim's value)."""

    def __init__(self, refusal: Refusal, reason: str) -> None:
        super().__init__(reason)
        self.refusal = refusal
        self.reason = reason


class Unreachable(Exception):
    """The directory's discovery document or keys could not be read, or are not usable."""


@dataclass(frozen=True)
class Discovery:
    """What the platform uses of a provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Oidc:
    """One per process (``Context.oidc``): the cipher of the client secrets, and the providers'
    discovery documents and keys cached for ``oidc_cache_seconds``. ``transport`` lets a unit
    test stand a provider in the process."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = resolve,
    ):
        secret = settings.secret_key.get_secret_value().encode()
        key = hmac.new(secret, b"oidc-client-secret-encryption", hashlib.sha256).digest()
        self.cipher = AesGcm({"o1": key}, "o1")
        self.allow_http = settings.oidc_allow_http
        self.timeout = settings.oidc_http_timeout_seconds
        self.deadline = settings.oidc_deadline_seconds
        self.max_bytes = settings.oidc_max_response_bytes
        self.resolver = resolver
        self.cache_seconds = settings.oidc_cache_seconds
        self.leeway = settings.oidc_clock_leeway_seconds
        self.transport = transport
        self._discovery: dict[str, tuple[float, Discovery]] = {}
        self._keys: dict[str, tuple[float, dict[str, jwt.PyJWK]]] = {}

    # -- the client secret -------------------------------------------------------------------

    def seal(self, tenant_id: str, secret: str) -> str:
        sealed = self.cipher.encrypt(secret.encode(), context=f"oidc|{tenant_id}".encode())
        kid, _, raw = sealed.partition(b":")
        return f"{kid.decode()}:{base64.b64encode(raw).decode()}"

    def open(self, tenant_id: str, token: str) -> str:
        kid, _, text = token.partition(":")
        sealed = kid.encode() + b":" + base64.b64decode(text)
        return self.cipher.decrypt(sealed, context=f"oidc|{tenant_id}".encode()).decode()

    # -- addresses ---------------------------------------------------------------------------

    def usable_url(self, url: str) -> bool:
        """HTTPS to a host name, no credentials and no fragment. Never an address literal nor
        ``localhost``: a tenant admin's setting must not make identity call into the
        platform's own network. (With ``OIDC_ALLOW_HTTP``, the tests' setting: plain HTTP, and
        loopback addresses only.)"""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        schemes = {"https", "http"} if self.allow_http else {"https"}
        if parts.scheme not in schemes or not host or parts.username or parts.password:
            return False
        if parts.fragment or (port is not None and not 0 < port < 65536):
            return False
        if port not in (None, 443) and not self.allow_http:
            return False  # a provider answers on 443; another port is someone's service
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host != "localhost" and not host.endswith(".localhost")
        return self.allow_http and address.is_loopback

    def _allowed_address(self, text: str) -> bool:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if self.allow_http and address.is_loopback:
            return True  # the tests' provider on 127.0.0.1 (OIDC_ALLOW_HTTP only)
        return address.is_global and not (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        )

    async def reachable_url(self, url: str) -> bool:
        """``usable_url``, and every address its host name resolves to is a public one: a
        name (``127.1``, ``2130706433``, ``postgres``) never leads into the platform's
        network. A name that does not resolve is refused too."""
        if not self.usable_url(url):
            return False
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            addresses = await self.resolver(host, parts.port or 443)
        except (OSError, UnicodeError):
            return False
        try:
            return bool(addresses) and all(self._allowed_address(a) for a in addresses)
        except ValueError:
            return False

    # -- HTTP --------------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=self.timeout, transport=self.transport, follow_redirects=False
        )

    async def _call(self, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        """One call to the provider: its host checked first, the whole of it (connection,
        answer, body) within ``oidc_deadline_seconds``, the body read as a stream and cut at
        ``oidc_max_response_bytes`` (``TooLarge``): a slow or endless provider costs identity
        at most that. ``httpx.HTTPError`` or ``TimeoutError`` otherwise."""
        if not await self.reachable_url(url):
            raise httpx.InvalidURL("the address is not a public https one")
        async with (
            asyncio.timeout(self.deadline),
            self._client() as client,
            client.stream(method, url, **kwargs) as response,
        ):
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise TooLarge
            body = bytearray()
            async for chunk in response.aiter_bytes():  # decoded: a zip bomb is cut too
                body += chunk
                if len(body) > self.max_bytes:
                    raise TooLarge
            return response.status_code, bytes(body)

    async def _json(self, url: str) -> dict[str, Any]:
        try:
            status, body = await self._call("GET", url, headers={"Accept": "application/json"})
            if status != 200:
                raise Unreachable(f"cannot read {urlsplit(url).path or '/'} ({status})")
            document = json.loads(body)
        except (httpx.HTTPError, TimeoutError, TooLarge, ValueError) as exc:
            raise Unreachable(f"cannot read {urlsplit(url).path or '/'}") from exc
        if not isinstance(document, dict):
            raise Unreachable("not a JSON object")
        return document

    async def discovery(self, issuer: str, *, fresh: bool = False) -> Discovery:
        """The provider's discovery document (OpenID Connect Discovery 1.0), which must name
        ``issuer`` exactly (section 4.3) and endpoints the platform may call."""
        cached = self._discovery.get(issuer)
        if cached is not None and not fresh and cached[0] > time.monotonic():
            return cached[1]
        document = await self._json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if document.get("issuer") != issuer:
            raise Unreachable("the discovery document names another issuer")
        fields = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        values = [document.get(name) for name in fields]
        if not all(isinstance(v, str) and self.usable_url(v) for v in values):
            raise Unreachable("the discovery document lacks a usable endpoint")
        methods = document.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise Unreachable("the provider does not support PKCE with S256")
        found = Discovery(issuer, *(str(v) for v in values))
        self._discovery[issuer] = (time.monotonic() + self.cache_seconds, found)
        return found

    async def keys(self, jwks_uri: str, *, refresh: bool = False) -> dict[str, jwt.PyJWK]:
        """The provider's signing keys by key id, cached; fetched again on an unknown key id
        (a key rotated in), at most every few seconds."""
        cached = self._keys.get(jwks_uri)
        now = time.monotonic()
        if cached is not None:
            expires, keys = cached
            fetched = expires - self.cache_seconds
            if expires > now and not (refresh and now - fetched > _REFETCH_SECONDS):
                return keys
        document = await self._json(jwks_uri)
        keys = {}
        for index, entry in enumerate(document.get("keys") or []):
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type or curve PyJWT does not know: never the one used
            keys[str(entry.get("kid") or f"#{index}")] = key
        self._keys[jwks_uri] = (now + self.cache_seconds, keys)
        return keys

    # -- the code flow -----------------------------------------------------------------------

    async def exchange(
        self,
        discovery: Discovery,
        *,
        client_id: str,
        client_secret: str,
        code: str,
        redirect_uri: str,
        code_verifier: str,
    ) -> str:
        """The authorization code for the ID token at the token endpoint (client_secret_basic,
        the PKCE verifier): a code used twice, expired or made for another verifier is
        refused by the provider."""
        basic = base64.b64encode(
            f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
        ).decode()
        try:
            status, body = await self._call(
                "POST",
                discovery.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": code_verifier,
                },
                headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
            )
        except (httpx.HTTPError, TimeoutError, TooLarge) as exc:
            raise Refused(Refusal.CODE, "the token endpoint could not be reached") from exc
        if status != 200:
            raise Refused(Refusal.CODE, f"the token endpoint refused the code ({status})")
        try:
            answer = json.loads(body)
            token = answer.get("id_token")
        except (ValueError, AttributeError) as exc:
            raise Refused(Refusal.CODE, "the token endpoint answered no JSON") from exc
        if not isinstance(token, str):
            raise Refused(Refusal.TOKEN, "no ID token in the token endpoint's answer")
        return token

    async def verify(
        self, discovery: Discovery, id_token: str, *, client_id: str, nonce: str
    ) -> dict[str, Any]:
        """The ID token's claims once its signature (one of the provider's keys), issuer,
        audience (and ``azp``), expiry, issue time and nonce are right; else ``Refused``."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise Refused(Refusal.TOKEN, "the ID token is malformed") from exc
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS or any(h in header for h in _FOREIGN_KEY_HEADERS):
            raise Refused(Refusal.TOKEN, "the ID token's algorithm or header is refused")
        key = await self._key(discovery.jwks_uri, header.get("kid"), str(algorithm))
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=[str(algorithm)],
                audience=client_id,
                issuer=discovery.issuer,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
                leeway=self.leeway,
            )
        except jwt.InvalidSignatureError as exc:
            raise Refused(Refusal.TOKEN, "the ID token's signature is wrong") from exc
        except jwt.InvalidIssuerError as exc:
            raise Refused(Refusal.TOKEN, "the ID token comes from another issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise Refused(Refusal.TOKEN, "the ID token is for another client") from exc
        except jwt.ExpiredSignatureError as exc:
            raise Refused(Refusal.TOKEN, "the ID token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Refused(Refusal.TOKEN, "the ID token is invalid") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
            raise Refused(Refusal.TOKEN, "the ID token was issued to another party")
        if not isinstance(claims["sub"], str) or not claims["sub"] or len(claims["sub"]) > 255:
            raise Refused(Refusal.TOKEN, "the ID token's subject is unusable")
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
            raise Refused(Refusal.NONCE, "the ID token's nonce is not this sign-in's")
        return claims

    async def _key(self, jwks_uri: str, kid: object, algorithm: str) -> jwt.PyJWK:
        for refresh in (False, True):
            try:
                keys = await self.keys(jwks_uri, refresh=refresh)
            except Unreachable as exc:
                raise Refused(Refusal.TOKEN, "the provider's keys could not be read") from exc
            if isinstance(kid, str):
                found = keys.get(kid)
            else:  # no key id: only a provider with a single key of that algorithm
                fitting = [k for k in keys.values() if _fits(k, algorithm)]
                found = fitting[0] if len(fitting) == 1 else None
            if found is not None:
                if not _fits(found, algorithm):
                    raise Refused(Refusal.TOKEN, "the ID token's algorithm is not its key's")
                return found
        raise Refused(Refusal.TOKEN, "the ID token is signed by an unknown key")


def _fits(key: jwt.PyJWK, algorithm: str) -> bool:
    """A key declared for one algorithm serves only that one; a key without ``alg`` serves
    the algorithms of its type."""
    declared = key._jwk_data.get("alg")
    if declared:
        return bool(declared == algorithm)
    family = {"RSA": ("RS", "PS"), "EC": ("ES",), "OKP": ("EdDSA",)}.get(key.key_type or "", ())
    return algorithm.startswith(family) if family else False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
