"""Art. 5(1)(e): no table of any service keeps a person's data for ever while the account
exists. Each table about a person either declares its lifetime (``Lifetime``, ended by the
worker's ``retention while the account exists`` job), or is ended by another scheduled job of
its service, or lives exactly as long as the account (its erasure, or the closing of an
unused account, ends it). A new table must take a side here."""

import pytest

from identity.config import Settings as IdentitySettings
from identity.jobs import scheduled as identity_jobs
from identity.models import subject_data as identity
from kit.privacy.subject import SubjectData
from kit.worker import live_retention
from orders.config import Settings as OrdersSettings
from orders.jobs import scheduled as orders_jobs
from orders.models import subject_data as orders
from privacy.config import Settings as PrivacySettings
from privacy.models import subject_data as privacy
from subsidies.config import Settings as SubsidiesSettings
from subsidies.models import subject_data as subsidies
from support.config import Settings as SupportSettings
from support.jobs import scheduled as support_jobs
from support.models import subject_data as support

SERVICES: dict[str, SubjectData] = {
    "identity": identity,
    "orders": orders,
    "subsidies": subsidies,
    "support": support,
    "privacy": privacy,
}

#: Tables ended by a job of their own (the job's name in the service's schedule).
OWN_JOBS = {
    ("identity", "login_events"): "connection log purge",
    ("identity", "sessions"): "housekeeping",
    ("identity", "account_tokens"): "housekeeping",
    ("identity", "mfa_challenges"): "housekeeping",
    ("support", "tickets"): "closed tickets purge",
    ("support", "ticket_messages"): "closed tickets purge",
    ("support", "partner_requests"): "partner contacts purge",
    ("privacy", "consent_events"): "consent proof retention",
    ("privacy", "audit_entries"): "audit trail retention",
}

#: Tables that are the account itself, or live and die with it (or with what they record).
WITH_THE_ACCOUNT = {
    ("identity", "users"): "the account; unused accounts are warned, then erased",
    ("identity", "recovery_codes"): "while two-factor login is on",
    ("identity", "oidc_links"): "while the tenant signs in through its directory (turned off or"
    " another issuer: every link goes)",
    ("subsidies", "profiles"): "the family situation the subsidies are computed from",
    ("privacy", "consents"): "the choice in force",
    ("privacy", "data_map"): "which service holds what: needed to answer any request",
    ("privacy", "requests"): "the proof of each answer (Art. 5(2))",
    ("privacy", "verifications"): "the identity check of a request, shown with it",
    ("privacy", "breaches"): "the breach record (Art. 33(5))",
    ("privacy", "breach_affected"): "as long as the breach record",
    ("privacy", "newsletters"): "what the works council sent, and who wrote it",
    ("privacy", "forgotten"): "erased people's keyed hashes, as long as a backup may hold them",
    ("privacy", "closure_people"): "a closing tenant's people until the closure erases them; then"
    " the keyed hash only, as the proof of the closure (like requests)",
}


def tables_of(name: str, data: SubjectData) -> list[tuple[str, str, bool]]:
    """``(service, table, declares a lifetime)`` of the service's tables about a person, the
    restricted archive aside (its own purge: ``retention purge``)."""
    return [
        (name, table.name, info.lifetime is not None)
        for table, info in data.tables()
        if table.name != data.archive.name
    ]


def test_every_table_about_a_person_has_an_end_while_the_account_exists() -> None:
    found = [t for name, data in SERVICES.items() for t in tables_of(name, data)]
    assert len(found) > 25
    undecided = [
        (service, table)
        for service, table, has_lifetime in found
        if not has_lifetime
        and (service, table) not in OWN_JOBS
        and (service, table) not in WITH_THE_ACCOUNT
    ]
    assert undecided == []
    # Each table is in one place only, and every name here is a real table.
    real = {(service, table) for service, table, _ in found}
    declared = {(s, t) for s, t, has_lifetime in found if has_lifetime}
    assert not declared & (OWN_JOBS.keys() | WITH_THE_ACCOUNT.keys())
    assert (OWN_JOBS.keys() | WITH_THE_ACCOUNT.keys()) <= real
    assert declared >= {
        ("orders", "orders"),
        ("orders", "invoices"),
        ("orders", "disclosures"),
        ("subsidies", "bookings"),
        ("subsidies", "grants"),
        ("subsidies", "mandates"),
        ("privacy", "unsubscribe_tokens"),
    }


def test_each_named_job_is_in_its_services_schedule() -> None:
    names = {
        "identity": {j.name for j in identity_jobs(IdentitySettings())},
        "orders": {j.name for j in orders_jobs()},
        "support": {j.name for j in support_jobs(SupportSettings())},
    }
    for (service, _table), job in OWN_JOBS.items():
        if service in names:
            assert job in names[service], (service, job)
    # The services with lifetimes run the job that ends them (subsidies' and privacy's
    # schedules need a context: their own tests check them).
    assert live_retention(orders).name in names["orders"]


@pytest.fixture
def bound() -> None:
    """The declarations bound to each service's default settings (their periods)."""
    identity.bind(IdentitySettings())
    orders.bind(OrdersSettings())
    subsidies.bind(SubsidiesSettings())
    support.bind(SupportSettings())
    privacy.bind(PrivacySettings())


@pytest.mark.usefixtures("bound")
def test_limitation_periods_are_kept_for_legal_claims_not_as_a_legal_obligation() -> None:
    """Art. 17(3)(e): a record kept while a claim over it can be brought (Code de commerce
    L110-4) is kept for the establishment, exercise or defence of legal claims; only a law
    that makes us keep it (accounting, L123-22) is a legal obligation (17(3)(b))."""
    retentions = {
        (name, entry["table"]): entry["retention"]
        for name, data in SERVICES.items()
        for entry in data.inventory()
        if entry["retention"] is not None
    }
    claims = {k for k, r in retentions.items() if "L110-4" in r["reason"]}
    assert claims == {("orders", "orders"), ("subsidies", "bookings")}
    for key in claims:
        assert retentions[key]["legal_basis"] == "legal_claims", key
        assert retentions[key]["exemption"].startswith("Art. 17(3)(e) GDPR"), key
        assert retentions[key]["article"] == "Art. 6(1)(f) and Art. 17(3)(e) GDPR", key
    for key in (("orders", "invoices"), ("subsidies", "grants"), ("identity", "login_events")):
        assert retentions[key]["legal_basis"] == "legal_obligation", key
        assert retentions[key]["exemption"].startswith("Art. 17(3)(b) GDPR"), key
