"""The population in subsidies: each tenant's rules, activities and a budget per year (the
demo seed's), a beneficiary profile for everyone, the grants on their orders and bookings
within the tenant's yearly budget, SEPA mandates encrypted per field as the service does it
(some lapsed long enough ago to be purged), and activity bookings for one person in three."""

from typing import Any

from sqlalchemy import select

from bench.data.bulk import Bulk
from bench.data.plan import ACTIVITIES, DAY, Plan, uid
from subsidies.activities.models import Activity
from subsidies.budgets.models import Budget
from subsidies.config import get_settings
from subsidies.context import build_context
from subsidies.mandates import fields
from subsidies.models import Booking, Grant, Mandate, Profile, subject_data
from subsidies.rules.models import OfferKind, Rule
from subsidies.seed import BUDGET_CENTS, _seed_tenant

GRANT_COLUMNS = (
    "id", "tenant_id", "user_id", "rule_id", "kind", "order_id", "booking_id", "amount_cents",
    "year", "status", "created_at", "hold_until",
)  # fmt: skip
MANDATE_COLUMNS = (
    "id", "reference", "tenant_id", "user_id", "holder", "iban", "bic", "status", "signed_at",
    "last_collection_at",
)  # fmt: skip
BOOKING_COLUMNS = (
    "id", "tenant_id", "user_id", "activity_id", "mandate_id", "price_cents", "subsidy_cents",
    "status", "created_at",
)  # fmt: skip
BICS = ("BNPAFRPP", "SOGEFRPP", "CRLYFRPP", "AGRIFRPP", "CCBPFRPP")
#: What a grant becomes with its order's status.
GRANT_STATUS = {
    "created": "held",
    "paid": "paid",
    "fulfilled": "paid",
    "refunded": "released",
    "cancelled": "released",
}


def iban(rng: Any) -> str:
    """A French IBAN with a valid checksum (ISO 13616: mod 97)."""
    bban = f"{rng.randrange(10**10):010d}{rng.randrange(10**11):011d}{rng.randrange(100):02d}"
    digits = int(bban + "152700")  # "FR00": F=15, R=27
    return f"FR{98 - digits % 97:02d}{bban}"


async def _offer(plan: Plan, bulk: Bulk) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """Each tenant's rules (by kind of offer) and activities, seeded where missing."""
    rules: dict[str, dict[str, str]] = {}
    activities: dict[str, list[str]] = {}
    async with bulk.database.transaction() as db:
        for tenant in plan.tenant_list:
            await _seed_tenant(db, tenant.id, plan.now - DAY * 1200)
        await db.flush()
        for tenant in plan.tenant_list:
            kinds = {
                r.offer_kind: r.id
                for r in await db.scalars(select(Rule).where(Rule.tenant_id == tenant.id))
            }
            rules[tenant.id] = {str(k): v for k, v in kinds.items() if k}
            by_title = {
                a.title: a.id
                for a in await db.scalars(select(Activity).where(Activity.tenant_id == tenant.id))
            }
            activities[tenant.id] = [by_title[title] for title, _ in ACTIVITIES]
    return rules, activities


async def write(
    plan: Plan, bulk: Bulk, chunks: list[tuple[int, int]], password: str | None
) -> None:
    settings = get_settings()
    cipher = build_context(settings).cipher
    subject_data.bind(settings)
    digest = subject_data._digest(subject_data.categories())
    rules, activities = await _offer(plan, bulk)
    reserved: dict[tuple[str, int], int] = {}
    for start, stop in chunks:
        profiles: list[tuple[Any, ...]] = []
        grants: list[tuple[Any, ...]] = []
        mandates: list[tuple[Any, ...]] = []
        bookings: list[tuple[Any, ...]] = []
        marks: list[tuple[Any, ...]] = []
        for p in plan.people(start, stop):
            rng = p.rng
            profiles.append((p.id, p.tenant.id, p.children, p.joined))
            ticket_rule = rules[p.tenant.id][OfferKind.TICKET]
            for o in p.orders:
                if o.subsidy_cents:
                    status = GRANT_STATUS[o.status]
                    grants.append(
                        (uid(rng), p.tenant.id, p.id, ticket_rule, "ticket", o.id, None,
                         o.subsidy_cents, o.at.year, status, o.at,
                         o.at + DAY if status == "held" else None)
                    )  # fmt: skip
                    if status != "released":
                        key = (p.tenant.id, o.at.year)
                        reserved[key] = reserved.get(key, 0) + o.subsidy_cents
            mandate_id = None
            if p.mandate:
                signed, status, last = p.mandate
                mandate_id = uid(rng)
                clear = {
                    "holder": f"{p.first_name} {p.last_name}",
                    "iban": iban(rng),
                    "bic": rng.choice(BICS),
                }
                sealed = {
                    f: fields.encrypt(cipher, "mandates", mandate_id, f, v)
                    for f, v in clear.items()
                }
                mandates.append(
                    (mandate_id, f"CSE-{rng.getrandbits(64):016X}", p.tenant.id, p.id,
                     sealed["holder"], sealed["iban"], sealed["bic"], status, signed, last)
                )  # fmt: skip
            for b in p.bookings:
                price = ACTIVITIES[b.activity][1]
                bookings.append(
                    (b.id, p.tenant.id, p.id, activities[p.tenant.id][b.activity], mandate_id,
                     price, b.subsidy_cents, "cancelled" if b.cancelled else "booked", b.at)
                )  # fmt: skip
                if b.subsidy_cents:
                    grants.append(
                        (uid(rng), p.tenant.id, p.id, rules[p.tenant.id][OfferKind.ACTIVITY],
                         "activity", None, b.id, b.subsidy_cents, b.at.year, "paid", b.at, None)
                    )  # fmt: skip
                    key = (p.tenant.id, b.at.year)
                    reserved[key] = reserved.get(key, 0) + b.subsidy_cents
            marks.append((p.id, digest, p.joined))
        await bulk.write(
            Profile.__table__, ("user_id", "tenant_id", "children_count", "updated_at"), profiles
        )
        await bulk.write(Mandate.__table__, MANDATE_COLUMNS, mandates)
        await bulk.write(Booking.__table__, BOOKING_COLUMNS, bookings)
        await bulk.write(Grant.__table__, GRANT_COLUMNS, grants)
        await bulk.write(subject_data.announced, ("subject", "categories", "at"), marks)
    await _budgets(plan, bulk, reserved)


async def _budgets(plan: Plan, bulk: Bulk, reserved: dict[tuple[str, int], int]) -> None:
    """A budget per tenant and year, with what the grants took of it."""
    async with bulk.database.transaction() as db:
        for tenant in plan.tenant_list:
            for year in plan.years:
                budget = await db.scalar(
                    select(Budget).where(Budget.tenant_id == tenant.id, Budget.year == year)
                )
                if budget is None:
                    budget = Budget(
                        tenant_id=tenant.id, year=year, amount_cents=BUDGET_CENTS, reserved_cents=0
                    )
                    db.add(budget)
                used = reserved.get((tenant.id, year), 0)
                budget.reserved_cents += used
                budget.amount_cents = max(budget.amount_cents, budget.reserved_cents)
