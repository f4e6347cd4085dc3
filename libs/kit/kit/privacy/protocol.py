"""The messages between the privacy service and the services that hold personal data.

Commands: type ``dsr.command``, routing key ``dsr.command.<service>``, payload
``{request_id, action, subject, tenant, corrections?, seal_to?}``. Answers: type
``dsr.answered`` with ``{request_id, action, service, status, result, sealed?}``. Export data
travels sealed for the privacy service (``seal_to`` is its public key), never in clear.
Data map: ``personal_data.recorded`` with ``{service, categories}`` when a service first holds
data on a person, or holds new categories.
"""

from enum import StrEnum

#: The service that sends data-subject commands and account mails: the only one whose
#: commands a participant carries out (checked against the publishing broker account).
PRIVACY = "privacy"

COMMAND = "dsr.command"
ANSWERED = "dsr.answered"
PERSONAL_DATA_RECORDED = "personal_data.recorded"


class Action(StrEnum):
    EXPORT = "export"  # access (Art. 15): everything
    PORTABILITY = "portability"  # Art. 20: what the person provided
    REVOKE_SESSIONS = "revoke_sessions"  # first step of an erasure
    ERASE = "erase"
    RECTIFY = "rectify"
    RESTRICT = "restrict"
    LIFT_RESTRICTION = "lift_restriction"
    OBJECT = "object"
    #: After a backup is restored: erase again everyone whose keyed hash is listed.
    REPLAY_ERASURES = "replay_erasures"


#: Published by the account service when an account unused for years was warned and not used
#: since: the privacy service erases the person through an erasure request.
ACCOUNT_INACTIVE = "account.inactive"
ACCOUNT_INACTIVE_KEY = f"{ACCOUNT_INACTIVE}.privacy"

#: Published by the account service when a tenant admin removes an account: the person is
#: erased through an erasure request filed by that admin (payload ``{by}``), like any other.
ACCOUNT_REMOVED = "account.removed"
ACCOUNT_REMOVED_KEY = f"{ACCOUNT_REMOVED}.privacy"

#: Mail to people by account id, sent by the account service, which alone holds addresses:
#: newsletters, breach notifications, identity-check codes. Payload: ``{subject, text,
#: marketing, recipients: [{subject, footer}], role?}``; with ``role`` (``tenant_admin``), the
#: tenant's active accounts of that role are mailed too (privacy does not know who they are).
#: A marketing mail skips people who objected or whose data is restricted. Routing key
#: ``account.mail.<account service>``, mandatory.
ACCOUNT_MAIL = "account.mail"

#: Published by the privacy service when a client's contract ends and its tenant is closed
#: (Art. 28(3)(g)): the account service refuses every sign-in of the tenant and ends its
#: sessions, before the people's data is exported for the client and erased. Routing key
#: ``tenant.closing.<account service>``, mandatory.
TENANT_CLOSING = "tenant.closing"
#: The account service's answer: the tenant is closed, and every account of it was announced
#: to the data map before this event (payload ``{accounts}``: how many accounts it holds), so
#: the privacy service knows when its data map holds everyone. Routing key
#: ``tenant.closed.privacy``, mandatory.
TENANT_CLOSED = "tenant.closed"
TENANT_CLOSED_KEY = f"{TENANT_CLOSED}.privacy"

#: Answers and data-map marks are addressed to the privacy service and published mandatory:
#: one that no queue takes (the privacy worker never ran yet) waits in the outbox, not lost.
ANSWER_KEY = f"{ANSWERED}.privacy"
DATA_MAP_KEY = f"{PERSONAL_DATA_RECORDED}.privacy"


def seal_context(request_id: str, service: str, action: str) -> bytes:
    """What a sealed export is bound to: a part cannot pass for another request, service or
    action."""
    return f"{request_id}|{service}|{action}".encode()


def command_key(service: str) -> str:
    return f"{COMMAND}.{service}"


def account_mail_key(account_service: str) -> str:
    return f"{ACCOUNT_MAIL}.{account_service}"


def tenant_closing_key(account_service: str) -> str:
    return f"{TENANT_CLOSING}.{account_service}"
