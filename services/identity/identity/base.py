"""What every feature of the identity service builds on: the declarative base (with kit's
naming convention), the outbox, the personal-data declarations, the names of the events and
security events the service emits, and the clock."""

from enum import StrEnum

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from kit.db import NAMING_CONVENTION
from kit.events import EventStore
from kit.privacy.declarations import Purpose
from kit.privacy.subject import SubjectData


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


events = EventStore(Base.metadata, source="identity")
#: Bound to the settings at start-up (``subject_data.bind(settings)``: the app's context, the
#: worker, every script): the pseudonym key and the ``{setting}`` texts come from them.
subject_data = SubjectData(Base.metadata, service="identity", purpose=Purpose.SOCIAL_ACTIVITIES)


class Event(StrEnum):
    """The events identity publishes (besides kit's: mails, data-map marks, and the
    ``account.inactive`` / ``account.removed`` commands of ``kit.privacy.protocol``)."""

    USER_CREATED = "user.created"
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 (an event name)
    USER_REACTIVATED = "user.reactivated"
    USER_DEACTIVATED = "user.deactivated"
    USERS_IMPORTED = "users.imported"


class SecurityEvent(StrEnum):
    """What ``kit.security.security_event`` logs and counts for identity."""

    SIGNIN_FAILED = "signin.failed"
    SIGNIN_THROTTLED = "signin.throttled"
    MFA_FAILED = "mfa.failed"
    MFA_ENABLED = "mfa.enabled"
    MFA_DISABLED = "mfa.disabled"
    REAUTH_FAILED = "reauth.failed"
    PASSWORD_RESET = "password.reset"  # noqa: S105 (an event name)
    PASSWORD_CHANGED = "password.changed"  # noqa: S105 (an event name)
    ROLES_GRANTED = "roles.granted"
    OIDC_SIGNIN_REFUSED = "oidc.refused"
    OIDC_LINKED = "oidc.linked"
    OIDC_CONFIGURED = "oidc.configured"
