"""What the orders service does with events: its part in data-subject requests.

Everything comes from the declarations in ``models.py``: on erasure the delivery details go,
the record of each sale of the last five years moves to the restricted archive until its date,
and older orders are deleted outright.
"""

from kit.privacy.participant import Participant
from orders.models import events, subject_data

participant = Participant(service="orders", subject_data=subject_data, events=events)
