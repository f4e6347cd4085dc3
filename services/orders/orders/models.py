"""The registry of the orders service's tables: every feature's models on one metadata, for
Alembic, the schema tests and the personal-data declarations (``subject_data``). The app, the
worker and the scripts take ``events`` and ``subject_data`` from here, never from
``orders.base``: a table whose module was not imported would be missing from every export,
erasure and declaration.

Every table follows its declarations (``docs/privacy.md``): on erasure an order's delivery
details go at once, the record of the sale (``orders.orders.models``) and the invoice
(``orders.invoices.models``) move to the restricted archive until their dates, and the
partners that received data are told to erase it too (``orders.partners``, Art. 19).
"""

from orders.base import Base, events, subject_data
from orders.invoices.models import Invoice, InvoiceCounter
from orders.offers.models import Offer
from orders.orders.models import Order
from orders.partners.models import Disclosure
from orders.payments.models import PaymentEvent

__all__ = [
    "Base",
    "Disclosure",
    "Invoice",
    "InvoiceCounter",
    "Offer",
    "Order",
    "PaymentEvent",
    "events",
    "subject_data",
]
