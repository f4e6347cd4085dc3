"""What the support service does with events: its part in data-subject requests.

Everything about a requester comes from the declarations of the features' models: their
tickets and the whole conversations (agents' answers included) are exported and erased with
them. When a support agent is erased, their id also leaves the tickets of others
(``support.tickets.service.forget_agent``).
"""

from kit.privacy.participant import Participant
from kit.privacy.protocol import Action
from support.models import events, subject_data
from support.tickets.service import forget_agent

participant = Participant(
    service="support",
    subject_data=subject_data,
    events=events,
    hooks={Action.ERASE: forget_agent},
)
