"""What every feature of the orders service builds on: the declarative base with kit's naming
convention, the outbox and inbox (``events``), the personal-data declarations
(``subject_data``, bound to the settings at start: ``subject_data.bind(settings)``) and the
names of the events the service publishes."""

from enum import StrEnum

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from kit.db import NAMING_CONVENTION
from kit.events import EventStore
from kit.privacy.declarations import Purpose, not_personal
from kit.privacy.subject import SubjectData


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: The declaration of every table's primary key: a random id says nothing of anyone.
ID = not_personal("random id")

events = EventStore(Base.metadata, source="orders")
subject_data = SubjectData(
    Base.metadata,
    service="orders",
    purpose=Purpose.ORDER_PROCESSING,
)


class Event(StrEnum):
    """The events the orders service publishes (their type, and their routing key unless one
    is given)."""

    ORDER_PLACED = "order.placed"
    ORDER_PAID = "order.paid"
    ORDER_FULFILLED = "order.fulfilled"
    ORDER_REFUNDED = "order.refunded"
    ORDER_CANCELLED = "order.cancelled"
    #: A message to a fulfilment partner, handed over by the service's own worker.
    PARTNER_MESSAGE = "partner.message"


#: The routing key of the messages to partners: the orders worker's queue alone reads it.
PARTNER_KEY = f"{Event.PARTNER_MESSAGE}.orders"
