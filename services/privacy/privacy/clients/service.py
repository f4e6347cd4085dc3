"""The platform as a processor for its clients (Art. 28, 30(2)).

Most personal data comes from the client companies and their works councils: for that
processing each client (a tenant) is the controller and the platform its processor.

- Art. 30(2): the record of the processing carried out on behalf of one client, generated
  from the same declarations as the controller's register (``privacy.register``): the client
  and its contract, the platform and its DPO, the categories of processing (the purposes run
  for the client, with the data the services declared), the sub-processors (the platform's
  processors, ``privacy.processors``) with what the client accepted, transfers outside the
  EU/EEA with their safeguards, the security measures (Art. 32).
- Art. 28(3): per client, the contract reference (kept by the platform administrator) and
  the sub-processors it accepted. Art. 28(2): a new platform processor is announced to every
  client (a mail to its admins, recorded) and is used for a tenant only once accepted there;
  the processors in place when a contract is signed are part of it.

Labels follow the caller's language (``fr`` by default, ``en``).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, Role
from kit.errors import Forbidden, NotFound
from kit.i18n import Language, negotiate
from kit.privacy.declarations import Purpose
from privacy.clients import repository
from privacy.clients.models import ClientContract, SubprocessorNotice
from privacy.config import Settings
from privacy.mailing.service import mail_accounts
from privacy.processors.models import Processor
from privacy.processors.service import in_eea
from privacy.register import service as register

#: The purposes run on behalf of the clients; listing partners is the platform's own.
ON_BEHALF_OF_CLIENTS = (
    Purpose.SITE_COMMUNICATION,
    Purpose.SOCIAL_ACTIVITIES,
    Purpose.ORDER_PROCESSING,
    Purpose.SUPPORT_REQUESTS,
)

LABELS: dict[Language, dict[str, str]] = {
    "fr": {
        "title": "Registre des activités de traitement du sous-traitant (art. 30(2) RGPD)",
        "processor": "La plateforme d'avantages, sous-traitant",
        "accepted": "acceptée",
        "announced": "annoncée, non acceptée : pas utilisée pour ce client",
        "in_contract": "prévue au contrat",
        "none": "aucun",
        "no_contract": "aucun contrat enregistré",
        "not_needed": "non nécessaire (UE/EEE)",
    },
    "en": {
        "title": "Record of processing activities of the processor (Art. 30(2) GDPR)",
        "processor": "The benefits platform, processor",
        "accepted": "accepted",
        "announced": "announced, not accepted: not used for this client",
        "in_contract": "in the contract",
        "none": "none",
        "no_contract": "no contract recorded",
        "not_needed": "not needed (EU/EEA)",
    },
}


def language(accept_language: str | None) -> Language:
    """The caller's language from ``Accept-Language`` (``kit.i18n.negotiate``)."""
    return negotiate(accept_language)


# -- who may read which tenant's record ------------------------------------------------------


def record_tenant(principal: Principal, tenant: str | None) -> str:
    """The tenant whose record ``principal`` reads: their own (a tenant admin, a tenant's DPO),
    or the one named by the platform (its administrator, for its DPO). 403 for naming another
    tenant otherwise."""
    if tenant is None or tenant == principal.tenant_id:
        return principal.tenant_id
    if Role.PLATFORM_ADMIN not in principal.roles:
        raise Forbidden("only the platform reads another tenant's record")
    return tenant


# -- the record (Art. 30(2)) -------------------------------------------------------------------


def subprocessor_status(notice: SubprocessorNotice | None) -> str:
    """``accepted`` (by a tenant admin), ``in_contract`` (in place when the contract was
    signed, or before the client was ever announced anything), or ``announced``: told of, not
    accepted yet, so not used for the client."""
    if notice is None:
        return "in_contract"
    if notice.accepted_at is None:
        return "announced"
    return "in_contract" if notice.accepted_by is None else "accepted"


def _subprocessor(
    processor: Processor,
    notice: SubprocessorNotice | None,
    words: dict[str, str],
    lang: Language,
) -> dict[str, Any]:
    status = subprocessor_status(notice)
    entry = register.processor_entry(processor, lang)
    del entry["scope"]
    return entry | {
        "status": status,
        "status_text": words[status],
        "announced_at": notice.announced_at.isoformat() if notice else None,
        "accepted_at": notice.accepted_at.isoformat() if notice and notice.accepted_at else None,
        "safeguard": processor.safeguard
        or (words["not_needed"] if in_eea(processor.location) else None),
    }


def build_record(
    *,
    tenant_id: str,
    client_name: str,
    contract: ClientContract | None,
    declared: Sequence[register.Declared],
    subprocessors: Sequence[Processor],
    notices: dict[str, SubprocessorNotice],
    settings: Settings,
    now: datetime,
    lang: Language,
) -> dict[str, Any]:
    """The record as a document (what ``?role=processor`` answers as JSON)."""
    words = LABELS[lang]
    outside = [p for p in subprocessors if not in_eea(p.location)]
    categories = []
    security: list[str] = []
    for purpose in ON_BEHALF_OF_CLIENTS:
        entry = register.purpose_entry(purpose, declared, outside, lang)
        security += entry["security_measures"]
        categories.append(
            {
                "purpose": entry["purpose"],
                "title": entry["title"],
                "description": entry["description"],
                "categories_of_people": entry["categories_of_people"],
                "categories_of_data": entry["categories_of_data"],
            }
        )
    return {
        "record": "Art. 30(2) GDPR",
        "title": words["title"],
        "language": lang,
        "generated_at": now.isoformat(),
        "controller": {
            "tenant_id": tenant_id,
            "name": contract.client_name if contract else client_name,
            "contract": (
                {
                    "reference": contract.contract_reference,
                    "signed_at": contract.signed_at.isoformat(),
                }
                if contract
                else None
            ),
            "contract_text": contract.contract_reference if contract else words["no_contract"],
        },
        "processor": {
            "name": words["processor"],
            "dpo": {
                "name": settings.dpo_name,
                "email": settings.dpo_email,
                "address": settings.dpo_address,
            },
        },
        "categories_of_processing": categories,
        "subprocessors": [_subprocessor(p, notices.get(p.id), words, lang) for p in subprocessors],
        "transfers_outside_eu": [
            {"name": p.name, "location": p.location, "safeguard": p.safeguard} for p in outside
        ],
        "transfers_text": (
            "; ".join(f"{p.name} ({p.location}): {p.safeguard}" for p in outside) or words["none"]
        ),
        "security_measures": list(dict.fromkeys(security)),
    }


async def record(
    db: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    tenant_id: str,
    client_name: str,
    lang: Language,
) -> dict[str, Any]:
    """The Art. 30(2) record of the processing done for ``tenant_id``."""
    return build_record(
        tenant_id=tenant_id,
        client_name=client_name,
        contract=await repository.contract_of(db, tenant_id),
        declared=await register.declarations(db),
        subprocessors=await repository.platform_processors(db),
        notices=await repository.notices_of(db, tenant_id),
        settings=settings,
        now=now,
        lang=lang,
    )


# -- the contract and the sub-processors (Art. 28(2), 28(3)) -----------------------------------


async def set_contract(
    db: AsyncSession,
    *,
    tenant_id: str,
    client_name: str,
    contract_reference: str,
    signed_at: datetime,
    now: datetime,
) -> ClientContract:
    """Record (or replace) a client's contract. The platform processors in place at its
    signature are part of it: accepted from then."""
    contract = await repository.contract_of(db, tenant_id)
    if contract is None:
        contract = ClientContract(tenant_id=tenant_id, recorded_at=now)
        db.add(contract)
    contract.client_name, contract.contract_reference = client_name, contract_reference
    contract.signed_at, contract.recorded_at = signed_at, now
    notices = await repository.notices_of(db, tenant_id)
    for processor in await repository.platform_processors(db):
        if processor.id not in notices and processor.created_at <= signed_at:
            db.add(
                SubprocessorNotice(
                    tenant_id=tenant_id,
                    processor_id=processor.id,
                    announced_at=signed_at,
                    accepted_at=signed_at,
                )
            )
    await db.flush()
    return contract


def announcement(processor: Processor) -> tuple[str, str]:
    """The mail that announces a new sub-processor to a client's admins; French, then
    English."""
    where = processor.location + (f" ({processor.safeguard})" if processor.safeguard else "")
    data = ", ".join(processor.data_categories)
    subject = "Nouveau sous-traitant ultérieur / A new sub-processor"
    text = (
        "Bonjour,\n\n"
        "Conformément à l'article 28(2) du RGPD, nous vous informons d'un nouveau "
        "sous-traitant ultérieur de la plateforme. Il ne traitera les données de vos salariés "
        "qu'après votre acceptation, dans la console d'administration.\n\n"
        f"Sous-traitant : {processor.name}\nActivité : {processor.role}\n"
        f"Données : {data}\nLieu : {where}\n\n"
        "-----\n\n"
        "Hello,\n\n"
        "As Article 28(2) GDPR requires, we inform you of a new sub-processor of the "
        "platform. It will process your employees' data only once you accept it, in the "
        "administration console.\n\n"
        f"Sub-processor: {processor.name}\nActivity: {processor.role}\n"
        f"Data: {data}\nLocation: {where}\n"
    )
    return subject, text


async def announce(
    db: AsyncSession, settings: Settings, processor: Processor, now: datetime
) -> int:
    """Tell every client of a new platform processor: a notice recorded per tenant and a mail
    to its admins (through identity). Returns how many clients were told."""
    subject, text = announcement(processor)
    tenants = await repository.known_tenants(db)
    for tenant_id in tenants:
        db.add(SubprocessorNotice(tenant_id=tenant_id, processor_id=processor.id, announced_at=now))
        await mail_accounts(
            db,
            settings,
            tenant_id=tenant_id,
            recipients=[],
            subject=subject,
            text=text,
            marketing=False,
            role=Role.TENANT_ADMIN,
        )
    await db.flush()
    return len(tenants)


async def accept(
    db: AsyncSession, *, principal: Principal, processor_id: str, now: datetime
) -> SubprocessorNotice:
    """A tenant admin accepts a sub-processor announced to their tenant; 404 for one never
    announced there. Accepting twice keeps the first acceptance."""
    found = await repository.notice(db, tenant_id=principal.tenant_id, processor_id=processor_id)
    if found is None:
        raise NotFound("no such sub-processor announced to this client")
    if found.accepted_at is None:
        found.accepted_at, found.accepted_by = now, principal.user_id
    await db.flush()
    return found


async def usable_for(db: AsyncSession, *, tenant_id: str) -> list[Processor]:
    """The sub-processors the platform may use for ``tenant_id``: accepted there, or in its
    contract."""
    notices = await repository.notices_of(db, tenant_id)
    return [
        p
        for p in await repository.platform_processors(db)
        if subprocessor_status(notices.get(p.id)) != "announced"
    ]
