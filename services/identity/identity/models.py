"""Every table of the identity service, in one metadata (Alembic, the schema tests and the
data map read it here). The models live in their features; ``Base``, ``events`` and
``subject_data`` are ``identity.base``'s."""

from identity.accounts.models import User
from identity.base import Base, events, subject_data
from identity.mfa.models import RecoveryCode
from identity.oidc.models import OidcLink, OidcLogin, OidcProvider
from identity.passwords.models import AccountToken
from identity.sessions.models import LoginEvent, Session
from identity.signin.models import LoginThrottle, MfaChallenge
from identity.tenants.models import Tenant

__all__ = [
    "AccountToken",
    "Base",
    "LoginEvent",
    "LoginThrottle",
    "MfaChallenge",
    "OidcLink",
    "OidcLogin",
    "OidcProvider",
    "RecoveryCode",
    "Session",
    "Tenant",
    "User",
    "events",
    "subject_data",
]
