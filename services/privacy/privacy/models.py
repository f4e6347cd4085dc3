"""The registry of the privacy service's tables: every feature's models in one metadata, for
Alembic and the tools (``from privacy.models import Base`` sees them all)."""

from privacy.archives.models import Archive, Download, ExportPart
from privacy.audit.models import AuditEntry
from privacy.base import Base, events, subject_data
from privacy.breaches.models import Breach, BreachAffected, BreachClientNotice, BreachNotification
from privacy.clients.models import ClientContract, SubprocessorNotice
from privacy.closures.models import ClosurePerson, TenantClosure
from privacy.consents.models import Consent, ConsentEvent, Newsletter, UnsubscribeToken
from privacy.datamap.models import DataMapEntry
from privacy.erasures.models import Forgotten
from privacy.processors.models import Processor
from privacy.register.models import ServiceDeclaration
from privacy.requests.models import Request, Task
from privacy.verification.models import Verification

__all__ = [
    "Archive",
    "AuditEntry",
    "Base",
    "Breach",
    "BreachAffected",
    "BreachClientNotice",
    "BreachNotification",
    "ClientContract",
    "ClosurePerson",
    "Consent",
    "ConsentEvent",
    "DataMapEntry",
    "Download",
    "ExportPart",
    "Forgotten",
    "Newsletter",
    "Processor",
    "Request",
    "ServiceDeclaration",
    "SubprocessorNotice",
    "Task",
    "TenantClosure",
    "UnsubscribeToken",
    "Verification",
    "events",
    "subject_data",
]
