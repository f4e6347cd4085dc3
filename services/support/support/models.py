"""Every table of the support service on one metadata (Alembic, the schema tests, tools).

The tables are declared in their features (``support.<feature>.models``); this module imports
them all so that ``Base.metadata`` holds every one.
"""

from support.base import Base, events, subject_data
from support.partners.models import PartnerRequest
from support.tickets.models import Ticket, TicketMessage

__all__ = ["Base", "PartnerRequest", "Ticket", "TicketMessage", "events", "subject_data"]
