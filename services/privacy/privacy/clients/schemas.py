"""Bodies of the clients' routes (Art. 28(3))."""

from pydantic import AwareDatetime, BaseModel, ConfigDict

from kit.schemas import Line
from privacy.clients.models import ClientContract, SubprocessorNotice


class ContractSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_name: Line
    contract_reference: Line
    signed_at: AwareDatetime


class ContractPublic(BaseModel):
    tenant_id: str
    client_name: str
    contract_reference: str
    signed_at: str


class NoticePublic(BaseModel):
    processor_id: str
    announced_at: str
    accepted_at: str | None


def contract_public(contract: ClientContract) -> ContractPublic:
    return ContractPublic(
        tenant_id=contract.tenant_id,
        client_name=contract.client_name,
        contract_reference=contract.contract_reference,
        signed_at=contract.signed_at.isoformat(),
    )


def notice_public(notice: SubprocessorNotice) -> NoticePublic:
    return NoticePublic(
        processor_id=notice.processor_id,
        announced_at=notice.announced_at.isoformat(),
        accepted_at=notice.accepted_at.isoformat() if notice.accepted_at else None,
    )
