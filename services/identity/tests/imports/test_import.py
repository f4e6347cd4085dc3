"""The employee import (ID4) on a real (SQLite) database: encodings, line checks, idempotent
re-uploads, all-or-nothing and per-line, dry runs, deactivation of the missing."""

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from identity.accounts.models import User
from identity.base import events, subject_data
from identity.config import Settings
from identity.imports import service as imports
from identity.imports.schemas import ImportMode, ModeParam
from identity.passwords.models import AccountToken
from identity.sessions.models import Session
from identity.tenants.models import Tenant
from kit.auth import Principal
from kit.db import Database
from kit.errors import Invalid
from services.identity.tests.factories import (
    NOW,
    make_session,
    make_tenant,
    make_user,
    outbox,
)

HEADER = "email,first_name,last_name\n"


@pytest.fixture
async def admin(database: Database) -> Principal:
    """The tenant ``demo`` (domain demo.test) with its admin, an agent and an employee."""
    async with database.transaction() as db:
        tenant = make_tenant(email_domains=["demo.test"])
        db.add(tenant)
        await db.flush()
        people = [
            ("admin@demo.test", "Ada", "Admin", ["tenant_admin"]),
            ("agent@demo.test", "Sam", "Support", ["support_agent"]),
            ("bob@demo.test", "Bob", "Bernard", ["employee"]),
        ]
        users = [
            make_user(
                tenant.id, email, first_name=first, last_name=last, roles=roles, password_hash="x"
            )
            for email, first, last, roles in people
        ]
        db.add_all(users)
        await db.flush()
        return Principal(users[0].id, tenant.id, "demo", frozenset({"tenant_admin"}), "s")


async def upload(
    database: Database,
    settings: Settings,
    admin: Principal,
    data: bytes | str,
    *,
    mode: ModeParam = "all_or_nothing",
    deactivate_missing: bool = False,
    dry_run: bool = False,
) -> tuple[int, dict[str, Any]]:
    raw = data.encode() if isinstance(data, str) else data
    async with database.transaction() as db:
        result = await imports.run(
            db,
            settings,
            admin=admin,
            data=raw,
            mode=ImportMode(mode),
            deactivate_missing=deactivate_missing,
            dry_run=dry_run,
            now=NOW,
        )
    assert result.status == 200 or not result.changed
    return result.status, result.report.model_dump()


async def users(database: Database) -> dict[str, User]:
    async with database.transaction() as db:
        return {u.email: u for u in await db.scalars(select(User))}


async def test_new_employees_are_created_without_password_and_invited(
    database: Database, settings: Settings, admin: Principal
) -> None:
    data = "\ufeff" + HEADER + "Erin@Demo.test,Erin,Durand\nfrank@demo.test,Frank,Moreau\n"
    code, report = await upload(database, settings, admin, data)
    assert code == 200
    assert report == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "errors": [],
        "dry_run": False,
    }
    found = await users(database)
    erin = found["erin@demo.test"]
    assert (erin.first_name, erin.last_name, erin.roles) == ("Erin", "Durand", ["employee"])
    assert erin.password_hash is None and erin.is_active and erin.created_at == NOW
    async with database.transaction() as db:
        tokens = list(await db.scalars(select(AccountToken)))
        announced = set(await db.scalars(select(subject_data.announced.c.subject)))
    assert {t.purpose for t in tokens} == {"invite"} and len(tokens) == 2
    assert min(t.expires_at for t in tokens) == NOW + timedelta(days=settings.invite_days)
    mails = await outbox(database, "mail.requested")
    assert {m["payload"]["to"] for m in mails} == {"erin@demo.test", "frank@demo.test"}
    assert all("/set-password#token=" in m["payload"]["text"] for m in mails)
    created = await outbox(database, "user.created")
    assert {c["subject"] for c in created} == {erin.id, found["frank@demo.test"].id}
    assert announced == {erin.id, found["frank@demo.test"].id}  # the privacy data map
    assert all("erin" not in json.dumps(c).lower() for c in created)
    [mark] = [
        m for m in await outbox(database, "personal_data.recorded") if m["subject"] == erin.id
    ]
    assert mark["routing_key"] == "personal_data.recorded.privacy"
    assert mark["payload"]["categories"] == subject_data.categories()
    async with database.transaction() as db:  # announced as kit does: no second mark
        await subject_data.record_personal_data(db, events, subject=erin.id, tenant=erin.tenant_id)
    assert len(await outbox(database, "personal_data.recorded")) == 2
    [summary] = await outbox(database, "users.imported")
    assert summary["payload"] == {"created": 2, "updated": 0, "deactivated": 0}


async def test_reupload_is_idempotent_and_updates_names(
    database: Database, settings: Settings, admin: Principal
) -> None:
    data = HEADER + "erin@demo.test,Erin,Durand\nbob@demo.test,Bob,Bernard\n"
    assert (await upload(database, settings, admin, data))[1]["created"] == 1
    code, report = await upload(database, settings, admin, data.upper().replace("EMAIL", "email"))
    assert code == 200  # addresses match whatever their case; names in capitals differ
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 2, 0)
    code, report = await upload(database, settings, admin, data.upper().replace("EMAIL", "email"))
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 2)
    assert len(await users(database)) == 4  # never duplicated
    assert (await users(database))["bob@demo.test"].last_name == "BERNARD"
    assert len(await outbox(database, "mail.requested")) == 1  # one invitation, once


async def test_excel_french_export_in_windows_1252_with_semicolons(
    database: Database, settings: Settings, admin: Principal
) -> None:
    data = "Courriel;Prénom;Nom;Rôle\r\neloise@demo.test;Éloïse;Lefèvre-Hervé;Salarié\r\n"
    code, report = await upload(database, settings, admin, data.encode("cp1252"))
    assert (code, report["created"], report["errors"]) == (200, 1, [])
    person = (await users(database))["eloise@demo.test"]
    assert (person.first_name, person.last_name) == ("Éloïse", "Lefèvre-Hervé")


async def test_any_line_error_changes_nothing_in_all_or_nothing(
    database: Database, settings: Settings, admin: Principal
) -> None:
    data = HEADER + "erin@demo.test,Erin,Durand\ncarol@other.test,Carol,Petit\n"
    code, report = await upload(database, settings, admin, data)
    assert code == 422
    assert report["errors"] == [{"line": 3, "error": "email outside the company's domains"}]
    assert report["created"] == 0
    assert "erin@demo.test" not in await users(database)
    assert await outbox(database, "mail.requested") == []


async def test_per_line_applies_the_good_lines_and_reports_the_others(
    database: Database, settings: Settings, admin: Principal
) -> None:
    lines = [
        "email,first_name,last_name,role",
        "erin@demo.test,Erin,Durand,employee",  # 2
        "",  # 3: blank lines are skipped, numbers kept
        "not-an-address,X,Y,",  # 4
        "carol@other.test,Carol,Petit,",  # 5
        "ERIN@demo.test,Erin,Again,",  # 6
        "gus@demo.test,,Martin,",  # 7
        f"hugo@demo.test,Hugo,{'x' * 101},",  # 8
        "ines@demo.test,In\x07es,Roux,",  # 9
        "jules@demo.test,Jules,Blanc,tenant_admin",  # 10
        "kim@demo.test,Kim",  # 11
        '"lea@demo.test","Léa","Da\nSilva",',  # 12-13: a quoted line break is a control char
        "max@demo.test,Max,Noir,EMPLOYEE",  # 14
    ]
    code, report = await upload(database, settings, admin, "\n".join(lines), mode="per_line")
    assert code == 200
    assert report["created"] == 2
    assert report["errors"] == [
        {"line": 4, "error": "invalid email address"},
        {"line": 5, "error": "email outside the company's domains"},
        {"line": 6, "error": "same email as line 2"},
        {"line": 7, "error": "first name missing"},
        {"line": 8, "error": "last name longer than 100 characters"},
        {"line": 9, "error": "first name contains control characters"},
        {"line": 10, "error": "only the employee role can be imported"},
        {"line": 11, "error": "missing fields"},
        {"line": 12, "error": "last name contains control characters"},
    ]
    assert {"erin@demo.test", "max@demo.test"} <= set(await users(database))
    text = json.dumps(report)
    for personal in ("carol", "Carol", "Petit", "Martin", "Jules", "kim"):
        assert personal not in text  # errors name lines, never people


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (b"email,first_name,last_name\n", "no employee"),
        (b"email,first_name\nerin@demo.test,Erin\n", "missing columns: last_name"),
        (b"erin@demo.test,Erin,Durand\n", "missing columns: email, first_name, last_name"),
        (b"email,nom,last_name\nerin@demo.test,Erin,Durand\n", "appears twice"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
        ("email,first_name,last_name\n".encode("utf-16"), "not a CSV file"),
        (
            b'email,first_name,last_name\n"erin@demo.test,Erin,Durand\n',
            "line 2: a misplaced or unclosed quote",
        ),
    ],
)
async def test_a_malformed_file_is_refused_whole(
    database: Database, settings: Settings, admin: Principal, data: bytes, message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        await upload(database, settings, admin, data, mode="per_line")


async def test_dry_run_reports_without_writing(
    database: Database, settings: Settings, admin: Principal
) -> None:
    data = HEADER + "erin@demo.test,Erin,Durand\nadmin@demo.test,Ada,Admin\n"
    code, report = await upload(
        database, settings, admin, data, dry_run=True, deactivate_missing=True
    )
    assert code == 200
    assert (report["created"], report["unchanged"], report["deactivated"]) == (1, 1, 1)
    assert report["dry_run"] is True
    found = await users(database)
    assert "erin@demo.test" not in found and found["bob@demo.test"].is_active
    assert await outbox(database, "mail.requested") == []


async def test_missing_employees_are_deactivated_logged_out_then_reactivated(
    database: Database, settings: Settings, admin: Principal
) -> None:
    data = HEADER + "erin@demo.test,Erin,Durand\nbob@demo.test,Bob,Bernard\n"
    assert (await upload(database, settings, admin, data))[1]["created"] == 1
    bob = (await users(database))["bob@demo.test"]
    async with database.transaction() as db:
        db.add(make_session(bob.id, bob.tenant_id, expires_at=NOW + timedelta(hours=24)))
    # Bob is on no line (Erin's line is bad, but she is on it: she stays).
    code, report = await upload(
        database,
        settings,
        admin,
        HEADER + "erin@demo.test,,Durand\n",
        mode="per_line",
        deactivate_missing=True,
    )
    assert code == 200
    assert (report["deactivated"], len(report["errors"])) == (1, 1)
    found = await users(database)
    assert not found["bob@demo.test"].is_active
    assert found["erin@demo.test"].is_active
    assert all(found[s].is_active for s in ("admin@demo.test", "agent@demo.test"))  # staff
    async with database.transaction() as db:
        session = await db.scalar(select(Session).where(Session.user_id == bob.id))
        tokens = list(await db.scalars(select(AccountToken)))
    assert session is not None and session.revoked_at == NOW
    assert [e["subject"] for e in await outbox(database, "user.deactivated")] == [bob.id]
    # Back in the file: reactivated (he has a password: no new invitation).
    code, report = await upload(database, settings, admin, data)
    assert (report["updated"], report["unchanged"]) == (1, 1)
    assert (await users(database))["bob@demo.test"].is_active
    assert [e["subject"] for e in await outbox(database, "user.reactivated")] == [bob.id]
    assert len(tokens) == 1 and len(await outbox(database, "mail.requested")) == 1


async def test_an_invited_employee_deactivated_cannot_use_the_invitation(
    database: Database, settings: Settings, admin: Principal
) -> None:
    await upload(database, settings, admin, HEADER + "erin@demo.test,Erin,Durand\n")
    await upload(
        database, settings, admin, HEADER + "bob@demo.test,Bob,Bernard\n", deactivate_missing=True
    )
    async with database.transaction() as db:
        token = await db.scalar(select(AccountToken))
    assert token is not None and token.used_at == NOW  # spent: the link no longer works
    # Reactivated without a password yet: a fresh invitation.
    await upload(database, settings, admin, HEADER + "erin@demo.test,Erin,Durand\n")
    assert len(await outbox(database, "mail.requested")) == 2


async def test_staff_and_restricted_accounts_are_left_as_they_are(
    database: Database, settings: Settings, admin: Principal
) -> None:
    found = await users(database)
    async with database.transaction() as db:
        await subject_data.restrict(db, found["bob@demo.test"].id, request_id="r", now=NOW)
    data = HEADER + "agent@demo.test,Samuel,Support\nbob@demo.test,Robert,Bernard\n"
    code, report = await upload(database, settings, admin, data)
    assert (code, report["updated"], report["unchanged"]) == (200, 0, 2)
    found = await users(database)
    assert found["agent@demo.test"].first_name == "Sam"
    assert found["bob@demo.test"].first_name == "Bob"
    code, report = await upload(database, settings, admin, HEADER + "erin@demo.test,E,D\n")
    code, report = await upload(
        database, settings, admin, HEADER + "erin@demo.test,E,D\n", deactivate_missing=True
    )
    assert report["deactivated"] == 0  # Bob is restricted: kept as he is


async def test_a_company_without_email_domain_cannot_import(
    database: Database, settings: Settings, admin: Principal
) -> None:
    async with database.transaction() as db:
        tenant = await db.get(Tenant, admin.tenant_id)
        assert tenant is not None
        tenant.email_domains = []
    with pytest.raises(Invalid, match="no email domain"):
        await upload(database, settings, admin, HEADER + "erin@demo.test,Erin,Durand\n")


async def test_the_log_line_has_counts_and_no_personal_data(
    database: Database, settings: Settings, admin: Principal, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="identity.imports")
    data = HEADER + "erin@demo.test,Erin,Durand\ncarol@other.test,Carol,Petit\n"
    await upload(database, settings, admin, data, mode="per_line")
    [record] = [r for r in caplog.records if r.name == "identity.imports"]
    assert record.__dict__["accounts_created"] == 1 and record.__dict__["line_errors"] == 1
    logged = str(record.__dict__).lower()
    assert "erin" not in logged and "carol" not in logged and "durand" not in logged


async def test_employee_numbers_are_imported_once_each(
    database: Database, settings: Settings, admin: Principal
) -> None:
    """The optional employee-number column (``matricule``): what a first sign-in through the
    employer's directory is matched by; a number never belongs to two accounts."""
    header = "email;prénom;nom;matricule\n"
    data = header + "erin@demo.test;Erin;Durand;E-1\nbob@demo.test;Bob;Bernard;E-2\n"
    code, report = await upload(database, settings, admin, data)
    assert code == 200 and (report["created"], report["updated"]) == (1, 1)
    found = await users(database)
    assert (found["erin@demo.test"].employee_number, found["bob@demo.test"].employee_number) == (
        "E-1",
        "E-2",
    )
    # Blank keeps the number; the same number twice, or another account's, is a line error.
    bad = header + (
        "erin@demo.test;Erin;Durand;\n"
        "frank@demo.test;Frank;Moreau;E-2\n"
        "gina@demo.test;Gina;Roux;E-7\n"
        "hugo@demo.test;Hugo;Roux;E-7\n"
    )
    code, report = await upload(database, settings, admin, bad, mode="per_line")
    assert code == 200
    assert report["errors"] == [
        {"line": 3, "error": "employee number of another account"},
        {"line": 5, "error": "same employee number as line 4"},
    ]
    found = await users(database)
    assert found["erin@demo.test"].employee_number == "E-1"
    assert found["gina@demo.test"].employee_number == "E-7"
    assert "frank@demo.test" not in found and "hugo@demo.test" not in found
