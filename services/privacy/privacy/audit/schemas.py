"""Bodies of the access log."""

from pydantic import BaseModel

from privacy.audit.models import AuditEntry


class Access(BaseModel):
    at: str
    #: Who: their account id and role (a tenant admin, a support agent, the DPO...).
    actor_id: str
    actor_roles: list[str]
    service: str
    action: str
    what: str
    route: str


def public(entry: AuditEntry) -> Access:
    return Access(
        at=entry.at.isoformat(),
        actor_id=entry.actor_id,
        actor_roles=entry.actor_roles,
        service=entry.service,
        action=entry.action,
        what=entry.what,
        route=entry.route,
    )
