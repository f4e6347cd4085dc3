"""Ticket rules on SQLite: who sees what, escalation only upwards, a closed ticket is final,
and a person's whole conversation is exported and erased with them (an agent's id too)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kit.auth import Principal, Role
from kit.db import Database
from kit.errors import Conflict, Forbidden, NotFound
from services.support.tests import factories
from support.models import Ticket, TicketMessage, events, subject_data
from support.tickets import service
from support.tickets.schemas import MessageCreate

ALICE, BOB, AGENT, ADMIN = factories.ALICE, factories.BOB, factories.AGENT, factories.ADMIN
CAROL_AGENT = factories.CAROL_AGENT

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def opened(database: Database, who: Principal = ALICE, subject: str = "VPN") -> str:
    async with database.transaction() as db:
        return (await factories.make_ticket(db, by=who, subject=subject, now=NOW)).id


async def update(
    database: Database, ticket_id: str, who: Principal = AGENT, **changes: object
) -> Ticket:
    async with database.transaction() as db:
        return await factories.change_ticket(
            db, ticket_id, by=who, now=NOW + timedelta(hours=1), **changes
        )


async def test_an_opened_ticket_is_open_at_n1_with_its_message(database: Database) -> None:
    ticket_id = await opened(database)
    async with database.transaction() as db:
        ticket = await service.visible_ticket(db, principal=ALICE, ticket_id=ticket_id)
        found = (await service.messages(db, ticket)).items
        outbox = (await db.execute(select(events.outbox))).mappings().all()
    assert (ticket.status, ticket.level, ticket.closed_at) == ("open", "N1", None)
    assert [(m.author_role, m.author_id, m.body) for m in found] == [
        ("requester", ALICE.user_id, "It does not connect")
    ]
    # The data map learns that support holds something on Alice.
    announced = [json.loads(r["body"]) for r in outbox if r["type"] == "personal_data.recorded"]
    assert [a["subject"] for a in announced] == [ALICE.user_id]


async def test_only_the_requester_and_the_tenants_agents_see_a_ticket(database: Database) -> None:
    ticket_id = await opened(database)
    async with database.transaction() as db:
        for intruder in (BOB, CAROL_AGENT, ADMIN):
            with pytest.raises(NotFound):
                await service.visible_ticket(db, principal=intruder, ticket_id=ticket_id)
            assert ticket_id not in {
                t.id for t in (await service.visible_tickets(db, principal=intruder)).items
            }
        for allowed in (ALICE, AGENT):
            found = await service.visible_ticket(db, principal=allowed, ticket_id=ticket_id)
            assert found.id == ticket_id
            visible = await service.visible_tickets(db, principal=allowed)
            assert [t.id for t in visible.items] == [ticket_id]
        with pytest.raises(NotFound):  # an unknown id: the same answer
            await service.visible_ticket(db, principal=AGENT, ticket_id="nope")
    for intruder in (BOB, CAROL_AGENT):
        with pytest.raises(NotFound):
            async with database.transaction() as db:
                await service.add_message(
                    db,
                    principal=intruder,
                    ticket_id=ticket_id,
                    data=MessageCreate(body="hi"),
                    now=NOW,
                )
    async with database.transaction() as db:
        count = await db.scalar(select(func.count()).select_from(TicketMessage))
    assert count == 1


async def test_agents_no_longer_see_a_restricted_persons_tickets(database: Database) -> None:
    ticket_id = await opened(database)
    async with database.transaction() as db:
        await subject_data.restrict(db, ALICE.user_id, request_id="r-1", now=NOW)
    async with database.transaction() as db:
        assert (await service.visible_tickets(db, principal=AGENT)).items == []
        with pytest.raises(NotFound):
            await service.visible_ticket(db, principal=AGENT, ticket_id=ticket_id)
        mine = await service.visible_ticket(db, principal=ALICE, ticket_id=ticket_id)
        assert mine.id == ticket_id


async def test_escalation_goes_up_never_down(database: Database) -> None:
    ticket_id = await opened(database)
    assert (await update(database, ticket_id, level="N2")).level == "N2"
    assert (await update(database, ticket_id, level="N2")).level == "N2"  # the same: no change
    with pytest.raises(Conflict):
        await update(database, ticket_id, level="N1")
    assert (await update(database, ticket_id, level="N3")).level == "N3"
    with pytest.raises(Conflict):
        await update(database, ticket_id, level="N2")
    assert service.next_level("N1", "N3") == "N3"


async def test_only_agents_change_a_ticket(database: Database) -> None:
    ticket_id = await opened(database)
    for who in (ALICE, ADMIN):
        with pytest.raises(Forbidden):
            await update(database, ticket_id, who=who, status="resolved")
    with pytest.raises(NotFound):  # an agent of another tenant does not even find it
        await update(database, ticket_id, who=CAROL_AGENT, status="resolved")
    assigned = await update(database, ticket_id, assignee_id="6f1b2c3d-1234-4abc-8def-0123456789ab")
    assert assigned.assignee_id == "6f1b2c3d-1234-4abc-8def-0123456789ab"
    assert (await update(database, ticket_id, assignee_id=None)).assignee_id is None


async def test_a_closed_ticket_takes_no_message_and_no_change(database: Database) -> None:
    ticket_id = await opened(database)
    closed = await update(database, ticket_id, status="closed")
    assert closed.status == "closed" and closed.closed_at == NOW + timedelta(hours=1)
    for who in (ALICE, AGENT):
        with pytest.raises(Conflict):
            async with database.transaction() as db:
                await service.add_message(
                    db, principal=who, ticket_id=ticket_id, data=MessageCreate(body="hi"), now=NOW
                )
    with pytest.raises(Conflict):
        await update(database, ticket_id, status="open")
    with pytest.raises(Conflict):
        await update(database, ticket_id, level="N3")


async def test_the_requesters_answer_reopens_a_resolved_ticket(database: Database) -> None:
    ticket_id = await opened(database)
    await update(database, ticket_id, status="resolved")
    async with database.transaction() as db:
        answer = await service.add_message(
            db, principal=AGENT, ticket_id=ticket_id, data=MessageCreate(body="Done?"), now=NOW
        )
        assert answer.author_role == "agent"
        ticket = await service.visible_ticket(db, principal=ALICE, ticket_id=ticket_id)
        assert ticket.status == "resolved"  # an agent's message leaves the status alone
        await service.add_message(
            db, principal=ALICE, ticket_id=ticket_id, data=MessageCreate(body="No"), now=NOW
        )
        assert ticket.status == "open"


async def test_the_whole_conversation_is_exported_and_erased_with_the_requester(
    database: Database,
) -> None:
    ticket_id = await opened(database)
    await opened(database, who=BOB, subject="Payslip")
    await update(database, ticket_id, assignee_id="6f1b2c3d-1234-4abc-8def-0123456789ab")
    async with database.transaction() as db:
        await service.add_message(
            db, principal=AGENT, ticket_id=ticket_id, data=MessageCreate(body="Try again"), now=NOW
        )
        exported = await subject_data.export(db, ALICE.user_id)
    assert [t["subject"] for t in exported["tickets"]] == ["VPN"]
    assert {m["body"] for m in exported["ticket_messages"]} == {"It does not connect", "Try again"}
    async with database.transaction() as db:
        await service.forget_agent(db, ALICE.user_id, {}, NOW)
        report = {t.table: t for t in await subject_data.erase(db, ALICE.user_id, now=NOW)}
    assert report["tickets"].erased_rows == 1 and report["ticket_messages"].erased_rows == 2
    async with database.transaction() as db:
        left = (await db.scalars(select(Ticket.requester_id))).all()
    assert left == [BOB.user_id]


async def test_an_erased_agents_id_leaves_the_others_tickets(database: Database) -> None:
    ticket_id = await opened(database)
    await update(database, ticket_id, assignee_id="6f1b2c3d-1234-4abc-8def-0123456789ab")
    agent = factories.make_principal("6f1b2c3d-1234-4abc-8def-0123456789ab", Role.SUPPORT_AGENT)
    async with database.transaction() as db:
        await service.add_message(
            db,
            principal=agent,
            ticket_id=ticket_id,
            data=MessageCreate(body="On it"),
            now=NOW + timedelta(minutes=1),
        )
    async with database.transaction() as db:
        result = await service.forget_agent(db, agent.user_id, {}, NOW)
    assert result == {"agent_references_blanked": 2}
    async with database.transaction() as db:
        ticket = await service.visible_ticket(db, principal=ALICE, ticket_id=ticket_id)
        found = (await service.messages(db, ticket)).items
    assert ticket.assignee_id is None
    assert [(m.author_role, m.author_id, m.body) for m in found][-1] == ("agent", None, "On it")
