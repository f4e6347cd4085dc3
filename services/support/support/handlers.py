"""What the support service does with events: its part in data-subject requests."""

from kit.privacy.participant import Participant
from support.models import events, subject_data

participant = Participant(service="support", subject_data=subject_data, events=events)
