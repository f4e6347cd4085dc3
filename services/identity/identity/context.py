"""What the identity app holds, built once at startup: the settings, the password hasher, the
signing keys, the TOTP cipher, the device tokens and the OpenID client. Routes get it with
``ContextDep``; the services take it as a plain argument."""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from identity.config import Settings
from identity.mfa.totp import Totp
from identity.models import subject_data
from identity.oidc.client import Oidc
from identity.passwords.hashing import Passwords
from identity.signin.devices import Devices, DeviceToken
from identity.tokens.keys import SigningKeys
from kit.web import app_context


@dataclass(frozen=True)
class Context:
    """What the rules need beyond a database session; one per process."""

    settings: Settings
    passwords: Passwords
    keys: SigningKeys
    totp: Totp
    devices: Devices
    oidc: Oidc

    def _hmac(self, purpose: str, value: str) -> str:
        key = self.settings.secret_key.get_secret_value().encode()
        return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token of a session: bound to it and signed, so it cannot be made up."""
        return self._hmac("csrf", session_token)

    def throttle_key(self, tenant: str, email: str) -> str:
        """The failure counter of an account (kept for unknown accounts too)."""
        return self._hmac("login", f"{tenant}\x00{email}")

    def device_key(self, device: DeviceToken) -> str:
        """The failure counter of one device token (``identity.signin.devices``)."""
        return self._hmac("device", device.nonce)


def build_context(settings: Settings, *, keys: SigningKeys | None = None) -> Context:
    """The context of ``settings`` (the signing keys are read from ``settings.keys_dir``
    unless given: the app's token verifier shares them); ``subject_data`` is bound to them."""
    subject_data.bind(settings)
    if keys is None:
        assert settings.keys_dir is not None
        keys = SigningKeys(settings.keys_dir)
    return Context(
        settings=settings,
        passwords=Passwords(
            memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
        ),
        keys=keys,
        totp=Totp(settings),
        devices=Devices(settings),
        oidc=Oidc(settings),
    )


#: A route's context (``app.state.context``, set by ``main.build_app``).
ContextDep = Annotated[Context, Depends(app_context)]
