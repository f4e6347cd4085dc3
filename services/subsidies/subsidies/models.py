"""The registry of the subsidies tables: every feature's models on one metadata, for Alembic
and the tools (``from subsidies.models import Base``), each column declared personal or not
(docs/privacy.md).

Rules, budgets and activities describe the works council's offer: nothing personal. The
beneficiary profile holds only what rules use (a number of children). Grants are the
subsidies given (accounting records); gift vouchers, what orders take from them and each
person's yearly total per event are accounting records too. The books (``accounting``) hold
entries with no person in them, and apart the link of each entry to the person it concerns.
SEPA mandates hold the IBAN, BIC and holder encrypted per field, bound to their row and field.
Each feature's ``models`` module says how long its records are kept.
"""

from subsidies.accounting.models import LedgerCounter, LedgerEntry, LedgerLine, LedgerSubject
from subsidies.activities.models import Activity
from subsidies.base import Base, events, subject_data
from subsidies.bookings.models import Booking
from subsidies.budgets.models import Budget
from subsidies.campaigns.models import Campaign, GiftTotal, Voucher, VoucherUse
from subsidies.grants.models import Grant
from subsidies.mandates.models import Mandate
from subsidies.profiles.models import Profile
from subsidies.quotients.models import QuotientDeclaration, QuotientDocument, QuotientSettings
from subsidies.rules.models import Rule

__all__ = [
    "Activity",
    "Base",
    "Booking",
    "Budget",
    "Campaign",
    "GiftTotal",
    "Grant",
    "LedgerCounter",
    "LedgerEntry",
    "LedgerLine",
    "LedgerSubject",
    "Mandate",
    "Profile",
    "QuotientDeclaration",
    "QuotientDocument",
    "QuotientSettings",
    "Rule",
    "Voucher",
    "VoucherUse",
    "events",
    "subject_data",
]
