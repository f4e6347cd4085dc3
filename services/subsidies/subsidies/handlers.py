"""What the subsidies service does with events: its part in data-subject requests."""

from kit.privacy.participant import Participant
from subsidies.models import events, subject_data

participant = Participant(service="subsidies", subject_data=subject_data, events=events)
