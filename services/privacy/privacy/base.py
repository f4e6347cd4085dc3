"""The privacy service's declarative base, event store and personal-data declarations.

Every feature's models build on ``Base``; ``privacy.models`` imports them all into one
metadata. The column declarations shared by several features are here too.
"""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from kit.db import NAMING_CONVENTION
from kit.events import EventStore
from kit.privacy.declarations import LegalBasis, Purpose, not_personal, personal
from kit.privacy.subject import SubjectData


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


events = EventStore(Base.metadata, source="privacy")
#: Bound to the settings at start-up (``privacy.context.build_context``, ``privacy.forget``).
subject_data = SubjectData(Base.metadata, service="privacy", purpose=Purpose.SITE_COMMUNICATION)

RIGHTS = Purpose.SITE_COMMUNICATION
OBLIGATION = LegalBasis.LEGAL_OBLIGATION  # answering data-subject requests (Art. 12-22)
ID = not_personal("random id")
#: A keyed, non-reversible hash of an account id: pseudonymous, so still declared.
KEYED = personal(
    "pseudonymous key", RIGHTS, OBLIGATION, provided=False, exportable=False, rectifiable=False
)
WHEN = not_personal("a date")
#: The work of a staff member (the author of a newsletter, the DPO who recorded a breach).
STAFF_WORK = personal(
    "staff member's work", RIGHTS, LegalBasis.LEGITIMATE_INTERESTS, provided=False,
    rectifiable=False,
)  # fmt: skip
