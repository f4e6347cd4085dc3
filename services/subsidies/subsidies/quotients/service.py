"""The family quotient (quotient familial): the tenant's formula and brackets, a person's
declaration (two figures and the tax notice), the admin's check, and the bracket that applies
to a person's subsidies.

No HTTP here. The notice and the figures are encrypted with the service's field cipher, bound
to their row, while they wait; the check deletes them whatever its outcome, and keeps the
bracket, its tax year, who checked and when, and the notice's SHA-256 of an approved
declaration for ``quotient_proof_years`` after its tax year; a refused or never-checked one
only ``DOCUMENT_DAYS`` (``kept_until``). The bracket the figures give (``proposed_bracket``)
is cleared with them. Neither the figures nor the notice go into a log or an error message.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.crypto import AesGcm
from kit.errors import Conflict, Forbidden, Invalid, NotFound
from kit.pagination import Page
from subsidies.accounting.service import books
from subsidies.base import events, subject_data
from subsidies.mandates.fields import context as field_context
from subsidies.quotients import repository
from subsidies.quotients.models import (
    DOCUMENT_DAYS,
    DeclarationStatus,
    QuotientDeclaration,
    QuotientDocument,
    QuotientFormula,
    QuotientSettings,
)
from subsidies.quotients.schemas import (
    Bracket,
    CheckIn,
    Figures,
    PendingDeclaration,
    QuotientSettingsIn,
    QuotientStatus,
)

TABLE = "quotient_documents"
#: The file types a notice may have, by their first bytes (the declared type is not trusted).
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


# -- the formula ---------------------------------------------------------------------------------


def quotient(figures: Figures, formula: QuotientFormula | str) -> int:
    """The quotient in whole euros (rounded down): income / shares, over 12 if monthly."""
    value = Decimal(figures.income) / figures.shares
    if formula == QuotientFormula.MONTHLY:
        value /= 12
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def brackets_of(found: QuotientSettings) -> list[Bracket]:
    return [Bracket(**b) for b in json.loads(found.brackets)]


def bracket_for(value: int, brackets: list[Bracket]) -> str:
    """The first bracket whose upper limit the quotient does not exceed (the last otherwise)."""
    for bracket in brackets:
        if bracket.up_to is None or value <= bracket.up_to:
            return bracket.name
    return brackets[-1].name


def sniff(content: bytes) -> str:
    """The notice's type from its first bytes: PDF, PNG or JPEG, nothing else."""
    for signature, content_type in SIGNATURES:
        if content.startswith(signature):
            return content_type
    raise Invalid("the tax notice must be a PDF, PNG or JPEG file")


def _seal(cipher: AesGcm, row_id: str, field: str, raw: bytes) -> str:
    sealed = cipher.encrypt(raw, context=field_context(TABLE, row_id, field))
    kid, _, body = sealed.partition(b":")
    return f"{kid.decode()}:{base64.b64encode(body).decode()}"


def _open(cipher: AesGcm, row_id: str, field: str, token: str) -> bytes:
    kid, _, text = token.partition(":")
    sealed = kid.encode() + b":" + base64.b64decode(text)
    return cipher.decrypt(sealed, context=field_context(TABLE, row_id, field))


#: What a notice that cannot be opened raises: its key was retired before the rotation reached
#: it (``rotate_documents``), or the row was tampered with. It is then "no document".
UNREADABLE = (KeyError, ValueError, InvalidTag)


def _readable(cipher: AesGcm, document: QuotientDocument | None) -> QuotientDocument | None:
    """The notice if both its fields open under the cipher's keys, else None."""
    if document is None:
        return None
    try:
        _open(cipher, document.declaration_id, "figures", document.figures)
        _open(cipher, document.declaration_id, "content", document.content)
    except UNREADABLE:
        return None
    return document


def _key_of(token: str) -> str:
    return token.partition(":")[0]


async def rotate_documents(db: AsyncSession, *, cipher: AesGcm, limit: int) -> int:
    """Re-encrypt, under the current key, the pending notices and figures still sealed under
    a retired one (the field key rotation job, with the mandates). One that cannot be opened
    any more is left as it is: it reads as "no document" and goes with its lifetime."""
    found = await repository.documents_not_under(db, key_id=cipher.current, limit=limit)
    rotated = 0
    for document in found:
        try:
            for name in ("content", "figures"):
                token = getattr(document, name)
                if _key_of(token) != cipher.current:
                    clear = _open(cipher, document.declaration_id, name, token)
                    setattr(document, name, _seal(cipher, document.declaration_id, name, clear))
        except UNREADABLE:
            continue
        rotated += 1
    return rotated


def _end_of(tax_year: int) -> datetime:
    """A bracket approved for ``tax_year`` counts until the year is over in the works
    council's time zone (``ACCOUNTING_TIMEZONE``, as ``check_tax_year``): 1 January 00:00 in
    Paris, 23:00 UTC on 31 December in winter."""
    return books.midnight(date(tax_year + 1, 1, 1))


def _years_after(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


#: A refused or never-checked declaration proves nothing: kept this long for its outcome.
SHORT = timedelta(days=DOCUMENT_DAYS)


def check_tax_year(tax_year: int, now: datetime) -> int:
    """The notice of year N-1's income is issued in year N: the current year (the works
    council's time zone) and the two before, nothing else."""
    current = books.day(now).year
    if not current - 2 <= tax_year <= current:
        raise Invalid(f"tax_year must be between {current - 2} and {current}")
    return tax_year


# -- the tenant's settings -----------------------------------------------------------------------


async def tenant_settings(db: AsyncSession, *, tenant_id: str) -> QuotientSettings | None:
    return await repository.settings_of(db, tenant_id=tenant_id)


async def set_tenant_settings(
    db: AsyncSession, *, principal: Principal, data: QuotientSettingsIn, now: datetime
) -> QuotientSettings:
    found = await repository.settings_of(db, tenant_id=principal.tenant_id)
    if found is None:
        found = QuotientSettings(tenant_id=principal.tenant_id)
        db.add(found)
    found.formula = data.formula
    found.brackets = json.dumps([b.model_dump() for b in data.brackets])
    found.default_bracket = data.default_bracket
    found.updated_at = now
    await db.flush()
    return found


# -- a person's declaration ----------------------------------------------------------------------


async def declare(
    db: AsyncSession,
    *,
    cipher: AesGcm,
    principal: Principal,
    figures: Figures,
    tax_year: int,
    document: bytes,
    max_bytes: int,
    now: datetime,
) -> QuotientDeclaration:
    """File the figures and the notice for the admin's check: both encrypted, bound to the
    row; the declaration keeps the bracket they give and the notice's SHA-256."""
    if not document:
        raise Invalid("the tax notice is empty")
    if len(document) > max_bytes:
        raise Invalid(f"the tax notice is larger than {max_bytes} bytes")
    content_type = sniff(document)
    check_tax_year(tax_year, now)
    found = await repository.settings_of(db, tenant_id=principal.tenant_id)
    if found is None:
        raise Conflict("your works council does not use the family quotient")
    last = await repository.last_declaration(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id
    )
    waiting = (
        last is not None
        and last.status == DeclarationStatus.PENDING
        and await repository.document_of(db, declaration_id=last.id) is not None
    )
    if waiting:
        raise Conflict("a declaration is already waiting for its check")
    declaration = QuotientDeclaration(
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        status=DeclarationStatus.PENDING,
        tax_year=tax_year,
        proposed_bracket=bracket_for(quotient(figures, found.formula), brackets_of(found)),
        document_sha256=hashlib.sha256(document).hexdigest(),
        declared_at=now,
        ends_at=now,
        # Unchecked, the notice goes after DOCUMENT_DAYS and the declaration as long again after.
        kept_until=now + 2 * SHORT,
    )
    db.add(declaration)
    await db.flush()
    numbers = json.dumps({"income": figures.income, "shares": str(figures.shares)}).encode()
    db.add(
        QuotientDocument(
            declaration_id=declaration.id,
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            content_type=content_type,
            content=_seal(cipher, declaration.id, "content", document),
            figures=_seal(cipher, declaration.id, "figures", numbers),
            declared_at=now,
        )
    )
    await db.flush()
    await subject_data.record_personal_data(
        db, events, subject=principal.user_id, tenant=principal.tenant_id
    )
    return declaration


async def current_bracket(
    db: AsyncSession, *, tenant_id: str, user_id: str, now: datetime
) -> str | None:
    """The bracket a person's subsidies use now: the approved one while its tax year lasts,
    else the tenant's default bracket (None where the tenant has no family quotient).

    The settings first: without them no declaration can be filed (``declare``) and they are
    never deleted, so most tenants, which have none, answer after one query (every shop and
    profile page asks, through the eligibility: docs/performance.md, "Load")."""
    found = await repository.settings_of(db, tenant_id=tenant_id)
    if found is None:
        return None
    valid = await repository.valid_bracket(db, tenant_id=tenant_id, user_id=user_id, now=now)
    return valid.bracket if valid is not None else found.default_bracket


async def own_status(db: AsyncSession, *, principal: Principal, now: datetime) -> QuotientStatus:
    tenant_id, user_id = principal.tenant_id, principal.user_id
    valid = await repository.valid_bracket(db, tenant_id=tenant_id, user_id=user_id, now=now)
    bracket = await current_bracket(db, tenant_id=tenant_id, user_id=user_id, now=now)
    last = await repository.last_declaration(db, tenant_id=tenant_id, user_id=user_id)
    if last is None:
        return QuotientStatus(bracket=bracket, is_default=True, status="none")
    status: str = last.status
    if last.status == DeclarationStatus.PENDING:
        if await repository.document_of(db, declaration_id=last.id) is None:
            status = "expired"  # nobody checked it in time: the notice was deleted
    elif last.status == DeclarationStatus.APPROVED and last.ends_at <= now:
        status = "expired"
    return QuotientStatus(
        bracket=bracket,
        is_default=valid is None,
        status=status,
        tax_year=last.tax_year,
        valid_until=last.ends_at if last.status == DeclarationStatus.APPROVED else None,
        declared_at=last.declared_at,
        checked_at=last.checked_at,
        document_sha256=last.document_sha256,
    )


# -- the admin's check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    content: bytes
    content_type: str
    user_id: str


async def pending(
    db: AsyncSession, *, cipher: AesGcm, tenant_id: str, cursor: str | None, limit: int
) -> Page[PendingDeclaration]:
    """The declarations waiting for a check, the oldest first, with their figures decrypted
    for the admin who checks them against the notice."""
    page = await repository.pending_page(db, tenant_id=tenant_id, cursor=cursor, limit=limit)
    documents = await repository.documents_of(db, ids=[d.id for d in page.items])
    found = await repository.settings_of(db, tenant_id=tenant_id)

    def line(item: QuotientDeclaration) -> PendingDeclaration:
        document = _readable(cipher, documents.get(item.id))
        figures = None
        if document is not None:
            figures = Figures(**json.loads(_open(cipher, item.id, "figures", document.figures)))
        return PendingDeclaration(
            id=item.id,
            user_id=item.user_id,
            tax_year=item.tax_year,
            income=figures.income if figures else None,
            shares=figures.shares if figures else None,
            quotient=quotient(figures, found.formula) if figures and found else None,
            proposed_bracket=item.proposed_bracket,
            content_type=document.content_type if document else None,
            declared_at=item.declared_at,
            has_document=document is not None,
        )

    return page.map(line)


async def notice(
    db: AsyncSession, *, cipher: AesGcm, tenant_id: str, declaration_id: str
) -> Notice:
    """The notice of a pending declaration, decrypted for the admin who checks it."""
    declaration = await repository.declaration_in_tenant(
        db, tenant_id=tenant_id, declaration_id=declaration_id
    )
    if declaration is None:
        raise NotFound("declaration not found")
    document = await repository.document_of(db, declaration_id=declaration.id)
    if document is None:
        raise NotFound("no tax notice is kept for this declaration")
    try:
        content = _open(cipher, declaration.id, "content", document.content)
    except UNREADABLE:
        raise NotFound(
            "the tax notice of this declaration can no longer be read: refuse it, the person "
            "declares again"
        ) from None
    return Notice(content=content, content_type=document.content_type, user_id=declaration.user_id)


async def check(
    db: AsyncSession,
    *,
    cipher: AesGcm,
    principal: Principal,
    declaration_id: str,
    data: CheckIn,
    proof_years: int,
    now: datetime,
) -> QuotientDeclaration:
    """Approve with a bracket (and the tax year it is valid for), or refuse. Either way the
    notice, the figures and the bracket they gave are deleted now. Nobody checks their own
    declaration. An approved one is kept ``proof_years`` after its tax year, a refused one
    ``DOCUMENT_DAYS``."""
    declaration = await repository.declaration_in_tenant(
        db, tenant_id=principal.tenant_id, declaration_id=declaration_id, lock=True
    )
    if declaration is None:
        raise NotFound("declaration not found")
    if declaration.status != DeclarationStatus.PENDING:
        raise Conflict("this declaration was already checked")
    if declaration.user_id == principal.user_id:
        raise Forbidden("you cannot check your own declaration: another administrator checks it")
    if data.tax_year is not None:
        check_tax_year(data.tax_year, now)
    if data.approved:
        found = await repository.settings_of(db, tenant_id=principal.tenant_id)
        names = {b.name for b in brackets_of(found)} if found else set()
        if data.bracket not in names:
            raise Invalid("bracket must be one of the tenant's brackets")
        document = await repository.document_of(db, declaration_id=declaration.id)
        if document is None:
            raise Conflict(
                "the tax notice was deleted unchecked: refuse, the person declares again"
            )
        if _readable(cipher, document) is None:
            raise Conflict(
                "the tax notice can no longer be read: refuse, the person declares again"
            )
        declaration.status = DeclarationStatus.APPROVED
        declaration.bracket = data.bracket
        declaration.tax_year = data.tax_year or declaration.tax_year
        declaration.ends_at = _end_of(declaration.tax_year)
        declaration.kept_until = _years_after(declaration.ends_at, proof_years)
    else:
        declaration.status = DeclarationStatus.REFUSED
        declaration.ends_at = now
        declaration.kept_until = now + SHORT
    declaration.proposed_bracket = None
    declaration.checked_by = principal.user_id
    declaration.checked_at = now
    await repository.delete_document(db, declaration_id=declaration.id)
    declaration.document_deleted_at = now
    await db.flush()
    return declaration


async def drop_unchecked_notices(db: AsyncSession, now: datetime) -> int:
    """The notices nobody checked within ``DOCUMENT_DAYS`` go, and with them the bracket their
    figures gave; the declaration shows ``expired`` until its ``kept_until``. (The notice's own
    ``Lifetime`` deletes it too, this job clears the declaration whichever runs first.)"""
    found = await repository.unchecked_since(db, before=now - SHORT)
    for declaration in found:
        await repository.delete_document(db, declaration_id=declaration.id)
        declaration.proposed_bracket = None
        declaration.document_deleted_at = declaration.document_deleted_at or now
    return len(found)


async def forget_checker(
    db: AsyncSession, subject: str, _payload: dict[str, Any], _now: datetime
) -> dict[str, Any]:
    """Erasure hook: an erased administrator's id leaves the declarations they checked (the
    check stays: bracket, date, the notice's SHA-256)."""
    return {"checker_references_blanked": await repository.blank_checker(db, checker_id=subject)}
