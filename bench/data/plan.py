"""The generated population, planned once and the same in every process.

Each service's writer (``bench.data.<service>``) runs in its own process with that service's
settings, and must agree with the others on who exists and what they did: person ``i`` of a
run is derived from the run's seed and ``i`` alone (``Plan.person(i)``), so the orders service
writes the orders whose ids subsidies' grants name, without any process reading another
service's database. Nothing here touches a database.

What a person accumulates over (at most) three years, from ``Plan.now`` backwards:
about 50 logins over the last 13 months, ~6 orders a year with 1-3 items, a beneficiary
profile, a SEPA mandate for two in five, activity bookings for one in three, support tickets
with about three messages for one in five, consents with their history, and now and then an
earlier data-subject request and reads of their data by staff (the audit trail). Ages spread
so that every retention rule has rows past their date.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from kit.demo import demo_tenant_id

DAY = timedelta(days=1)
YEARS_OF_HISTORY = 3
#: Offers every tenant has (orders.seed.OFFERS): (title, kind, unit price in cents).
OFFERS = [
    ("Place de cinéma", "ticket", 750),
    ("Journée au parc d'attractions", "ticket", 3200),
    ("Bon d'achat librairie 20 €", "voucher", 1500),
    ("Panier pique-nique du terroir", "goods", 2500),
]
#: subsidies.seed.RULES as the generator applies them: the cinema rule (2+ children, 3 EUR per
#: ticket, 30 EUR a year) and holiday activities (50 %, 200 EUR a year).
TICKET_SUBSIDY, TICKET_CAP = 300, 3000
ACTIVITY_PERCENT, ACTIVITY_CAP = 50, 20000
#: subsidies.seed.ACTIVITIES: (title, price in cents).
ACTIVITIES = [("Atelier poterie", 4000), ("Séjour en colonie de vacances", 18000)]
FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Emma",
    "Sarah",
    "Lucie",
    "Hugo",
    "Lucas",
    "Louis",
    "Nathan",
    "Jules",
    "Gabriel",
    "Arthur",
    "Adam",
    "Raphaël",
    "Paul",
    "Nicolas",
    "Julien",
    "Thomas",
    "Sophie",
    "Claire",
    "Marie",
    "Anne",
    "Pierre",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
]
CITIES = [("75011", "Paris"), ("69003", "Lyon"), ("13008", "Marseille"), ("31000", "Toulouse")]


def uid(rng: random.Random) -> str:
    """A random (version 4) UUID from ``rng``: reproducible, unlike ``uuid.uuid4``, and
    ten times faster than ``str(uuid.UUID(...))``, which counts over millions of rows."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


@dataclass(frozen=True)
class Tenant:
    slug: str
    id: str
    name: str


@dataclass
class Line:
    offer: int  # index into OFFERS
    quantity: int

    @property
    def kind(self) -> str:
        return OFFERS[self.offer][1]

    @property
    def cents(self) -> int:
        return OFFERS[self.offer][2] * self.quantity


@dataclass
class Order:
    id: str
    at: datetime
    lines: list[Line]
    #: created (unpaid), paid, fulfilled, cancelled (unpaid, by the buyer), refunded
    status: str
    subsidy_cents: int
    payment_reference: str | None

    @property
    def total_cents(self) -> int:
        return sum(line.cents for line in self.lines)

    @property
    def paid(self) -> bool:
        return self.status in ("paid", "fulfilled", "refunded")

    @property
    def goods(self) -> bool:
        return any(line.kind == "goods" for line in self.lines)


@dataclass
class Booking:
    id: str
    at: datetime
    activity: int  # index into ACTIVITIES
    cancelled: bool
    subsidy_cents: int


@dataclass
class Ticket:
    id: str
    at: datetime
    messages: int
    #: None: still open
    closed_at: datetime | None


class Person:
    """Person ``index`` of a plan. What they did is worked out on first use, each aspect from
    its own random stream, so that a service's writer pays only for what it writes."""

    def __init__(self, plan: "Plan", index: int) -> None:
        rng = random.Random(f"{plan.prefix}:{index}")
        self.plan, self.index = plan, index
        self.rng = rng  # for the writers' own ids and details
        self.id = uid(rng)
        self.tenant = plan.tenant_list[index % plan.tenants]
        self.email = plan.email(index)
        self.first_name = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
        self.last_name = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
        now = plan.now
        self.joined = now - timedelta(days=20 + 1680 * rng.random())
        #: Days of history: since joining, three years at most.
        self.span = min((now - self.joined) / DAY, 365.0 * YEARS_OF_HISTORY)
        self.children = rng.choices((0, 1, 2, 3, 4), (35, 22, 28, 11, 4))[0]

    def _rng(self, aspect: str) -> random.Random:
        return random.Random(f"{self.plan.prefix}:{self.index}:{aspect}")

    def _ago(self, rng: random.Random, days: float) -> datetime:
        """A moment within the last ``days``."""
        return self.plan.now - timedelta(seconds=86400 * days * rng.random())

    @cached_property
    def logins(self) -> list[datetime]:
        """About 50 over the last 13 months (fewer for newcomers): some past the one year."""
        rng = self._rng("logins")
        days = min(400.0, (self.plan.now - self.joined) / DAY)
        return sorted(self._ago(rng, days) for _ in range(rng.randint(30, 70)))

    @cached_property
    def sessions(self) -> list[datetime]:
        rng = self._rng("sessions")
        return [self._ago(rng, 30) for _ in range(rng.randint(1, 3))]

    @cached_property
    def orders(self) -> list[Order]:
        """About six a year, 1-3 items each; subsidised tickets for families of 2+ children."""
        rng = self._rng("orders")
        now = self.plan.now
        count = sum(1 for _ in range(int(self.span / 365 * 12)) if rng.random() < 0.5)
        dates = sorted(self._ago(rng, self.span) for _ in range(count))
        spent: dict[int, int] = {}
        orders = []
        for at in dates:
            first = rng.randrange(len(OFFERS))
            lines = [
                Line((first + k) % len(OFFERS), 1 + (rng.random() < 0.3))
                for k in range(rng.choice((1, 1, 2, 3)))
            ]
            recent = now - at < DAY * 2
            roll = rng.random()
            if recent and roll < 0.3:
                status = "created"
            elif roll < 0.05:
                status = "cancelled"
            elif roll < 0.06:
                status = "refunded"
            else:
                status = "paid" if recent else "fulfilled"
            subsidy = 0
            if self.children >= 2 and status != "cancelled":
                tickets = sum(line.quantity for line in lines if line.kind == "ticket")
                subsidy = min(TICKET_SUBSIDY * tickets, TICKET_CAP - spent.get(at.year, 0))
                spent[at.year] = spent.get(at.year, 0) + subsidy
            reference = None
            if status not in ("created", "cancelled"):
                reference = f"sbx_{rng.getrandbits(96):024x}"
            orders.append(Order(uid(rng), at, lines, status, subsidy, reference))
        return orders

    @cached_property
    def bookings(self) -> list[Booking]:
        """For one person in three: 1-3 activities, half paid by the works council."""
        rng = self._rng("bookings")
        bookings: list[Booking] = []
        if rng.random() < 1 / 3:
            spent: dict[int, int] = {}
            for _ in range(rng.randint(1, 3)):
                at = self._ago(rng, self.span)
                activity = rng.randrange(len(ACTIVITIES))
                cancelled = rng.random() < 0.1
                wanted = ACTIVITIES[activity][1] * ACTIVITY_PERCENT // 100
                grant = 0 if cancelled else min(wanted, ACTIVITY_CAP - spent.get(at.year, 0))
                spent[at.year] = spent.get(at.year, 0) + grant
                bookings.append(Booking(uid(rng), at, activity, cancelled, grant))
        return bookings

    @cached_property
    def mandate(self) -> tuple[datetime, str, datetime | None] | None:
        """(signed, status, last collection) for two in five; a quarter of those ended 1 to 24
        months ago (past the 13 months they are kept, for some)."""
        rng = self._rng("mandate")
        if rng.random() >= 0.4:
            return None
        signed = self._ago(rng, self.span)
        if rng.random() < 0.25:
            last = self.plan.now - timedelta(days=30 + 700 * rng.random())
            return (min(signed, last - DAY), "lapsed", last)
        return (signed, "active", self.plan.now - timedelta(days=1 + 29 * rng.random()))

    @cached_property
    def tickets(self) -> list[Ticket]:
        """For one in five: 1-2 tickets of 2-4 messages, most closed (some long ago)."""
        rng = self._rng("tickets")
        tickets: list[Ticket] = []
        if rng.random() < 0.2:
            for _ in range(rng.choice((1, 1, 2))):
                at = self._ago(rng, self.span)
                still_open = rng.random() < 0.15 and (self.plan.now - at) < DAY * 30
                closed = None if still_open else min(self.plan.now, at + DAY * rng.uniform(1, 20))
                tickets.append(Ticket(uid(rng), at, rng.randint(2, 4), closed))
        return tickets

    def logins_kept(self, days: int = 365) -> list[datetime]:
        """The logins identity's connection log still holds once its purge ran."""
        limit = self.plan.now - timedelta(days=days)
        return [at for at in self.logins if at >= limit]

    def tickets_kept(self, days: int) -> list[Ticket]:
        """The tickets support still holds: open, or closed less than ``days`` ago (its
        retention job deletes the others)."""
        limit = self.plan.now - timedelta(days=days)
        return [t for t in self.tickets if t.closed_at is None or t.closed_at >= limit]

    @cached_property
    def consents(self) -> list[tuple[str, list[tuple[bool, datetime]]]]:
        """(purpose, [(granted, at), ...] oldest first) for each purpose they answered."""
        rng = self._rng("consents")
        consents = []
        for purpose in ("newsletter", "partner_offers"):
            if rng.random() < 0.6:
                history, granted = [], rng.random() < 0.7
                for _ in range(rng.randint(1, 3)):
                    history.append((granted, self._ago(rng, self.span)))
                    granted = not granted
                history.sort(key=lambda event: event[1])
                consents.append((purpose, history))
        return consents

    @cached_property
    def requests(self) -> list[tuple[str, datetime]]:
        """(type, received) of an earlier request, answered, for 3 people in 100."""
        rng = self._rng("requests")
        if rng.random() >= 0.03:
            return []
        kind = rng.choice(("access", "access", "portability"))
        return [(kind, self.plan.now - timedelta(days=5 + max(0.0, self.span - 5) * rng.random()))]

    @cached_property
    def reads(self) -> list[tuple[str, datetime]]:
        """(what, when) staff read of their data: the audit trail (some past its retention)."""
        rng = self._rng("reads")
        return [
            (rng.choice(("orders", "tickets", "profile")), self._ago(rng, 500))
            for _ in range(rng.randint(0, 5))
        ]

    @property
    def services(self) -> list[str]:
        """The services holding data on this person (the data map's rows)."""
        held = ["identity", "subsidies"]
        if self.orders:
            held.append("orders")
        if self.tickets:
            held.append("support")
        return held


@dataclass(frozen=True)
class Plan:
    """``subjects`` people spread over ``tenants`` tenants (the first is ``demo``), as of
    ``now``; ``prefix`` names this run's people (``<prefix>-<i>@<tenant>.test``) and tenants
    (``<prefix>-<k>``), so that runs never collide."""

    subjects: int
    tenants: int
    prefix: str
    now: datetime
    #: False: every tenant is a generated one (a test that must leave ``demo`` as it is).
    with_demo: bool = True

    @cached_property
    def tenant_list(self) -> list[Tenant]:
        tenants = [Tenant("demo", demo_tenant_id("demo"), "CSE de Démo Industries")]
        if not self.with_demo:
            tenants = []
        for k in range(len(tenants), self.tenants):
            slug = f"{self.prefix}-{k}"
            tenants.append(Tenant(slug, demo_tenant_id(slug), f"Generated company {k}"))
        return tenants

    def email(self, i: int) -> str:
        return f"{self.prefix}-{i}@{self.tenant_list[i % self.tenants].slug}.test"

    @property
    def generated_tenants(self) -> list[Tenant]:
        """The tenants this run created (with their staff), ``demo`` aside."""
        return [t for t in self.tenant_list if t.slug != "demo"]

    def staff_email(self, tenant: Tenant, role: str) -> str:
        return f"{role}@{tenant.slug}.test"

    def named_id(self, name: str) -> str:
        """An id of this run, the same in every process: ``name`` says what it is for."""
        return uid(random.Random(f"{self.prefix}:{name}"))

    def staff_id(self, tenant: Tenant, role: str) -> str:
        """The account id of a generated tenant's staff member (``admin``, ``dpo``, ``agent``);
        for ``demo``, whose staff the seed made, an earlier agent's."""
        return self.named_id(f"{tenant.slug}:{role}")

    @property
    def years(self) -> list[int]:
        return list(range(self.now.year - YEARS_OF_HISTORY, self.now.year + 1))

    def people(self, start: int = 0, stop: int | None = None) -> "list[Person]":
        return [self.person(i) for i in range(start, min(stop or self.subjects, self.subjects))]

    def person(self, i: int) -> Person:
        return Person(self, i)


def plan_now() -> datetime:
    """The run's reference time, to the second (passed to every writer)."""
    return datetime.now(UTC).replace(microsecond=0)
