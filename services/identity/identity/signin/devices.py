"""Device cookies (OWASP, "Blocking Brute Force Attacks"): a browser that signed in to an
account before may still try that account while it is locked for everyone else.

A failed sign-in counts against the account, and after a few the account waits, longer each
time. Without more, anyone who knows an address could keep its owner out for as long as they
keep failing. So every completed sign-in gives the browser a token for that account, signed
with identity's ``SECRET_KEY``: ``<account id>.<nonce>.<expiry>.<signature>``. A sign-in that
carries a valid token for the account it names is judged by the token's own counter instead of
the account's: the owner's browser gets in with the right password while the guesser waits,
and a stolen token cannot guess either (its failures count, it waits, and while it waits it is
worth nothing more than no token).

Nothing is stored for a token: it is checked by its signature and expiry, and only its
counter, under a keyed hash of its nonce, exists once it has failed. The cookie holds the
tokens of the last few accounts signed in from the browser (a shared computer), newest first.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from identity.config import Settings

#: The cookie (``__Secure-`` prefix: the browser keeps it only if it is Secure, from HTTPS).
#: Its path is ``/api/auth``: the browser sends it to the sign-in routes only, and the gateway
#: passes it, as the ``X-Device-Token`` header, to the three that read it.
COOKIE = "__Secure-device"
COOKIE_PATH = "/api/auth"
HEADER = "x-device-token"
#: Accounts remembered by one browser; the oldest goes first.
ACCOUNTS = 5
#: What one cookie may hold, at most (the gateway passes at most 1024 characters).
MAX_COOKIE = 1024
_ID = re.compile(r"^[0-9a-f-]{36}$")


@dataclass(frozen=True)
class DeviceToken:
    user_id: str
    nonce: str
    expires: int

    @property
    def text(self) -> str:
        return f"{self.user_id}.{self.nonce}.{self.expires}"


class Devices:
    """Issues and checks device tokens; one per process."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.secret_key.get_secret_value().encode()
        self._key = hmac.new(secret, b"device-cookie", hashlib.sha256).digest()
        self.lifetime = timedelta(days=settings.device_days)

    def _sign(self, text: str) -> str:
        mac = hmac.new(self._key, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def issue(self, user_id: str, now: datetime) -> str:
        token = DeviceToken(
            user_id, secrets.token_urlsafe(16), int((now + self.lifetime).timestamp())
        )
        return f"{token.text}.{self._sign(token.text)}"

    def read(self, cookie: str | None, now: datetime) -> list[DeviceToken]:
        """The valid tokens of a cookie, newest first: signed by us and unexpired. Anything
        else in it (forged, expired, malformed) is ignored, never an error."""
        if not cookie or len(cookie) > MAX_COOKIE:
            return []
        found = []
        for part in cookie.split("~")[:ACCOUNTS]:
            pieces = part.split(".")
            if len(pieces) != 4 or not _ID.match(pieces[0]) or not pieces[2].isdigit():
                continue
            token = DeviceToken(pieces[0], pieces[1], int(pieces[2]))
            if token.expires <= now.timestamp():
                continue
            if hmac.compare_digest(pieces[3].encode(), self._sign(token.text).encode()):
                found.append(token)
        return found

    def for_account(self, cookie: str | None, user_id: str, now: datetime) -> DeviceToken | None:
        """The cookie's valid token for this account, if it holds one."""
        return next((t for t in self.read(cookie, now) if t.user_id == user_id), None)

    def after_sign_in(self, cookie: str | None, user_id: str, now: datetime) -> str:
        """The cookie to set after ``user_id`` signed in: a new token for the account first,
        then the valid tokens of the other accounts, up to ``ACCOUNTS``."""
        others = [
            f"{t.text}.{self._sign(t.text)}" for t in self.read(cookie, now) if t.user_id != user_id
        ]
        return "~".join([self.issue(user_id, now), *others][:ACCOUNTS])
