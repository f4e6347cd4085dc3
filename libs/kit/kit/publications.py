"""The routing keys every service publishes, whatever its domain."""

from kit.mail import mail_key
from kit.privacy.audit import AUDIT_KEY
from kit.privacy.declarations import DECLARATIONS_KEY
from kit.privacy.protocol import ANSWER_KEY, DATA_MAP_KEY


def platform_publications(service: str) -> list[str]:
    """Routing keys every service publishes: its answers to data-subject commands, its data-map
    marks, audit records and declarations (all for the privacy service), and its own mails.
    A worker module adds the keys of its own events (``PUBLISHES``); the broker lets a service's
    account publish nothing else (deploy/rabbitmq/topology.json)."""

    return [ANSWER_KEY, DATA_MAP_KEY, AUDIT_KEY, DECLARATIONS_KEY, mail_key(service)]
