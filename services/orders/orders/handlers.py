"""What the orders service does with events: its part in data-subject requests, and the
messages to fulfilment partners.

Everything about a person comes from the declarations in ``models.py``: on erasure the delivery
details go, the record of each sale of the last five years and each invoice of the last ten
move to the restricted archive until their dates, older ones are deleted outright, and the
partners that received data are told (Art. 19, ``fulfilment.py``).
"""

from datetime import UTC, datetime

from kit.privacy.participant import Participant
from kit.privacy.protocol import Action
from kit.worker import Subscription
from orders.fulfilment import (
    partner_delivery,
    tell_recipients,
    tell_recipients_of_rectification,
)
from orders.models import events, subject_data
from orders.partners import PARTNER_KEY, PARTNER_MESSAGE, FulfilmentPartners

participant = Participant(
    service="orders",
    subject_data=subject_data,
    events=events,
    hooks={
        Action.ERASE: tell_recipients("erase"),
        Action.RECTIFY: tell_recipients_of_rectification,
        Action.RESTRICT: tell_recipients("restrict"),
        Action.LIFT_RESTRICTION: tell_recipients("lift_restriction"),
    },
)


def partner_subscription(partners: FulfilmentPartners) -> Subscription:
    """The worker's queue of messages to fulfilment partners."""
    handler = partner_delivery(partners, lambda: datetime.now(UTC))
    return Subscription(
        "orders.partners", {PARTNER_MESSAGE: handler}, [PARTNER_KEY], senders={"orders"}
    )
