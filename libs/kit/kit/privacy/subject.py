"""The data-subject operations of one service, derived from its declarations.

``SubjectData(metadata, ...)`` adds five tables to the service's metadata (the restricted
archive, the restrictions, the objections, the data-map marks and the requests already
handled) and offers export, erasure, rectification, restriction and the retention purge over
every table declared with ``subject_table``. A service writes none of this by hand.

It is declared at import time with the models; the service's settings (its pseudonym key, the
configurable retention periods) are bound once at start-up, ``subject_data.bind(settings)``,
by the app, the worker and every script: a model never reads settings when it is imported.
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    Row,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import UtcDateTime, mark_erasure, utcnow
from kit.events.store import EventStore, OutboxBatch
from kit.privacy.declarations import (
    LegalBasis,
    Lifetime,
    Personal,
    Purpose,
    Retention,
    SubjectTable,
    declaration,
    not_personal,
    personal,
    personal_columns,
    subject_of,
    subject_table,
)
from kit.privacy.protocol import DATA_MAP_KEY, PERSONAL_DATA_RECORDED


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass
class TableErasure:
    table: str
    erased_rows: int
    kept_rows: int = 0
    kept_fields: tuple[str, ...] = ()
    legal_basis: str | None = None
    reason: str | None = None
    kept_until: str | None = None


def _flag_table(metadata: MetaData, name: str, category: str, purpose: Purpose) -> Table:
    """A per-person flag set by a request: who, by which request, since when."""
    return Table(
        name,
        metadata,
        Column(
            "subject",
            String(36),
            primary_key=True,
            info=personal(
                category, purpose, LegalBasis.LEGAL_OBLIGATION, provided=False, rectifiable=False
            ),
        ),
        Column("request_id", String(36), info=not_personal("a request id")),
        Column("since", UtcDateTime, info=not_personal("a date")),
        info=subject_table("subject"),
    )


#: Turns a row as stored into the row the person reads (decrypts the fields a service encrypts);
#: gets the table's name and the row with its primary key.
Reveal = Callable[[str, dict[str, Any]], dict[str, Any]]


class SubjectData:
    def __init__(
        self,
        metadata: MetaData,
        *,
        service: str,
        purpose: Purpose,
        key: bytes | None = None,
        reveal: Reveal | None = None,
    ) -> None:
        self.metadata = metadata
        self.service = service
        self._key = key
        self.settings: Any = None
        self.reveal = reveal
        #: (the tables' ids, (categories, digest)): ``_announcement``'s memo.
        self._announced_for: tuple[tuple[int, ...], tuple[tuple[str, ...], str]] | None = None
        self.archive = Table(
            "restricted_archive",
            metadata,
            Column("id", String(36), primary_key=True, info=not_personal("random id")),
            Column(
                "subject_key",
                String(64),
                index=True,
                info=personal(
                    "pseudonymous key", purpose, LegalBasis.LEGAL_OBLIGATION, provided=False
                ),
            ),
            Column("source_table", String(63), info=not_personal("a table name")),
            Column(
                "data",
                Text,
                info=personal(
                    "legal record (restricted)",
                    purpose,
                    LegalBasis.LEGAL_OBLIGATION,
                    provided=False,
                    rectifiable=False,
                ),
            ),
            Column("legal_basis", String(40), info=not_personal("a legal basis")),
            Column("reason", String(200), info=not_personal("a law's reference")),
            Column("keep_until", UtcDateTime, index=True, info=not_personal("a purge date")),
            Column("archived_at", UtcDateTime, info=not_personal("when the erasure ran")),
            info=subject_table("subject_key", kept="until its legal date, restricted from any use"),
        )
        #: Art. 18: the person's data is frozen (kept, not used) until the DPO lifts it.
        self.restrictions = _flag_table(
            metadata, "restrictions", "restriction of processing", purpose
        )
        #: Art. 21: the person objected; direct marketing to them stops, for good.
        self.objections = _flag_table(metadata, "objections", "objection", purpose)
        self.announced = Table(
            "data_map_announced",
            metadata,
            Column(
                "subject",
                String(36),
                primary_key=True,
                info=personal("account id", purpose, LegalBasis.CONTRACT, provided=False),
            ),
            Column("categories", String(64), info=not_personal("a hash of category names")),
            Column("at", UtcDateTime, info=not_personal("a date")),
            info=subject_table("subject"),
        )
        #: ``record_personal_data``'s look, which every order, grant and ticket runs: built
        #: once (built again on each call, it cost two thirds as much CPU again as running it).
        self._announced_as = select(self.announced.c.categories).where(
            self.announced.c.subject == bindparam("subject")
        )
        self.handled = Table(
            "dsr_handled",
            metadata,
            Column("request_id", String(36), primary_key=True, info=not_personal("a request id")),
            Column("action", String(30), primary_key=True, info=not_personal("an action name")),
            Column("result", Text, info=not_personal("a report of counts, tables and dates")),
            Column("handled_at", UtcDateTime, info=not_personal("a date")),
        )

    # -- what there is ---------------------------------------------------------------------

    def bind(self, settings: Any) -> "SubjectData":
        """Take the service's settings: ``subject_key`` (the pseudonym key) and the values of
        the retention periods and ``kept`` texts that name a setting. Called at start-up."""
        self.settings = settings
        self._key = settings.subject_key.get_secret_value().encode()
        return self

    @property
    def key(self) -> bytes:
        if self._key is None:
            raise RuntimeError(
                f"{self.service}: subject data used before the settings were bound "
                "(call subject_data.bind(settings) at start-up)"
            )
        return self._key

    def retention(self, info: SubjectTable) -> Retention | None:
        """The table's legal retention, with the period the bound settings give."""
        return None if info.retention is None else info.retention.configured(self.settings)

    def kept(self, info: SubjectTable) -> str:
        """The table's ``kept`` text, its ``{setting}`` names filled from the bound settings."""
        if "{" not in info.kept:
            return info.kept
        if self.settings is None:
            raise RuntimeError(f"{self.service}: settings not bound; cannot say how long")
        return info.kept.format_map(_SettingValues(self.settings))

    def subject_key(self, subject: str) -> str:
        """A keyed, non-reversible hash of a person's id: how an erased person is remembered."""
        return hmac.new(self.key, subject.encode(), hashlib.sha256).hexdigest()

    def tables(self) -> list[tuple[Table, SubjectTable]]:
        """The service's own tables about a person, parents first."""
        own = {self.archive.name, self.restrictions.name, self.objections.name, self.announced.name}
        return [
            (table, info)
            for table in self.metadata.sorted_tables
            if table.name not in own and (info := subject_of(table)) is not None
        ]

    def inventory(self) -> list[dict[str, Any]]:
        """The declarations, for the Art. 15 manifest and the register of processing."""
        result = []
        for table, info in [*self.tables(), (self.archive, subject_of(self.archive))]:
            assert info is not None
            retention = self.retention(info)
            result.append(
                {
                    "service": self.service,
                    "table": table.name,
                    "source": info.source,
                    "recipients": list(info.recipients),
                    "kept": self.kept(info),
                    "lifetime": self._lifetime_entry(info),
                    "retention": None
                    if retention is None
                    else {
                        "years": retention.years,
                        "counted_from": retention.counted_from,
                        "legal_basis": retention.basis.value,
                        "article": retention.basis.article,
                        "exemption": retention.basis.erasure_exemption,
                        "reason": retention.reason,
                    },
                    "fields": [
                        {"name": column.name, **_plain(asdict(decl))}
                        for column, decl in personal_columns(table)
                    ],
                }
            )
        return result

    async def subjects(self, session: AsyncSession) -> set[str]:
        """Every person this service holds something on (for re-erasure after a restore)."""
        found: set[str] = set()
        for table, info in self.tables():
            rows = await session.scalars(select(table.c[info.subject]).distinct())
            found.update(str(v) for v in rows if v is not None)
        return found

    # -- export ------------------------------------------------------------------------------

    async def export(
        self, session: AsyncSession, subject: str, *, portable_only: bool = False
    ) -> dict[str, list[dict[str, Any]]]:
        """Every row about ``subject``, with its personal columns (provided ones only for
        portability); secrets that are not data about the person (``exportable=False``)
        never leave."""
        result: dict[str, list[dict[str, Any]]] = {}
        for table, info in self.tables():
            columns = [
                column
                for column, decl in personal_columns(table)
                if decl.exportable and (decl.provided or not portable_only)
            ]
            if not columns:
                continue
            keys = [c for c in table.primary_key.columns if c not in columns]
            rows = await session.execute(
                select(*columns, *keys).where(table.c[info.subject] == subject)
            )
            found = [dict(row._mapping) for row in rows]
            if self.reveal is not None:
                found = [self.reveal(table.name, row) for row in found]
            result[table.name] = [
                {k: _plain(v) for k, v in row.items() if k not in {c.name for c in keys}}
                for row in found
            ]
        return result

    # -- erasure -----------------------------------------------------------------------------

    async def erase(
        self, session: AsyncSession, subject: str, *, now: datetime
    ) -> list[TableErasure]:
        """Delete everything about ``subject``; what the law keeps goes to the restricted
        archive with its basis and date (or is deleted too when that date is past).

        Children go before parents. Idempotent: a second run finds nothing and erases nothing.
        The transaction is marked as an erasure: once it commits, nothing erased stays
        readable in the database files (``kit.db.mark_erasure``).
        """
        mark_erasure(session)
        report = []
        key = self.subject_key(subject)
        for table, info in reversed(self.tables()):
            where = table.c[info.subject] == subject
            rows = (await session.execute(select(table).where(where))).all()
            kept, retained = self._archive_rows(table, info, rows, now, lambda _row: key)
            retention = self.retention(info)
            until = max((k["keep_until"] for k in kept), default=None)
            if kept:
                await session.execute(insert(self.archive), kept)
            if rows:
                await session.execute(delete(table).where(where))
            report.append(
                TableErasure(
                    table=table.name,
                    erased_rows=len(rows),
                    kept_rows=len(kept),
                    kept_fields=tuple(retained) if kept else (),
                    legal_basis=retention.basis.value if kept and retention else None,
                    reason=retention.reason if kept and retention else None,
                    kept_until=until.isoformat() if until else None,
                )
            )
        for own in (self.restrictions, self.objections, self.announced):
            await session.execute(delete(own).where(own.c.subject == subject))
        return report

    def _archive_rows(
        self,
        table: Table,
        info: SubjectTable,
        rows: Sequence[Row[Any]],
        now: datetime,
        key_of: Callable[[Row[Any]], str],
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The restricted archive's rows for the ``rows`` leaving ``table`` (the law's record
        of those whose legal date is still to come), and the columns that record keeps."""
        retained = [c.name for c, d in personal_columns(table) if d.retained]
        retention = self.retention(info)
        if retention is None or not retained:
            return [], retained
        retained += [c for c in retention.keep if c not in retained]
        kept: list[dict[str, Any]] = []
        for row in rows:
            start = row._mapping[retention.counted_from]
            if start is None:
                continue  # no date to count from: nothing the law makes us keep
            row_until = retention.until(start)
            if row_until > now:
                kept.append(
                    {
                        "id": str(uuid.uuid4()),
                        "subject_key": key_of(row),
                        "source_table": table.name,
                        "data": json.dumps({c: _plain(row._mapping[c]) for c in retained}),
                        "legal_basis": retention.basis.value,
                        "reason": retention.reason,
                        "keep_until": row_until,
                        "archived_at": now,
                    }
                )
        return kept, retained

    def _lifetime_entry(self, info: SubjectTable) -> dict[str, Any] | None:
        """The inventory's account of a table's lifetime (the register, Art. 15(1)(d))."""
        lifetime = self.lifetime(info)
        if lifetime is None:
            return None
        return {
            "years": lifetime.years,
            "days": lifetime.days,
            "counted_from": lifetime.counted_from,
            "only_when": None
            if lifetime.only_when is None
            else {lifetime.only_when[0]: list(lifetime.only_when[1])},
            "reason": lifetime.reason,
        }

    def lifetime(self, info: SubjectTable) -> Lifetime | None:
        """The table's lifetime while the account exists, with the bound settings' period."""
        return None if info.lifetime is None else info.lifetime.configured(self.settings)

    def _key_of(self, info: SubjectTable) -> Callable[[Row[Any]], str]:
        """The keyed hash of the person a row of a table described by ``info`` is about."""
        return lambda row: self.subject_key(row._mapping[info.subject])

    async def expire(self, session: AsyncSession, *, now: datetime) -> int:
        """Art. 5(1)(e) while the account exists: every row past its table's ``Lifetime``
        leaves the table; what its ``Retention`` still keeps goes to the restricted archive
        until its date (as an erasure does), the rest is deleted; a restricted person's rows
        stay until the restriction is lifted (Art. 18(1)(c)). Children before parents;
        marked as an erasure (``kit.db.mark_erasure``). Returns how many rows left."""
        gone = 0
        for table, info in reversed(self.tables()):
            lifetime = self.lifetime(info)
            if lifetime is None:
                continue
            start = table.c[lifetime.counted_from]
            dated = start <= now - lifetime.shortest()
            if lifetime.only_when is not None:
                column, values = lifetime.only_when
                # An ended row without a date (a mandate never used) has nothing to count from.
                where = and_(table.c[column].in_(values), or_(start.is_(None), dated))
            else:
                where = dated
            # Art. 18(1)(c): a restricted person may need the data for a legal claim after
            # we no longer do: kept, untouched, until the restriction is lifted.
            person = table.c[info.subject]
            where = and_(
                where,
                or_(person.is_(None), person.not_in(select(self.restrictions.c.subject))),
            )
            found = (await session.execute(select(table).where(where))).all()
            due = [
                row
                for row in found
                if row._mapping[lifetime.counted_from] is None
                or lifetime.until(row._mapping[lifetime.counted_from]) <= now
            ]
            if not due:
                continue
            kept, _retained = self._archive_rows(table, info, due, now, self._key_of(info))
            if kept:
                await session.execute(insert(self.archive), kept)
            keys = list(table.primary_key.columns)
            for row in due:
                await session.execute(
                    delete(table).where(and_(*(c == row._mapping[c.name] for c in keys)))
                )
            gone += len(due)
        if gone:
            mark_erasure(session)
        return gone

    async def purge_due(self, session: AsyncSession, *, now: datetime) -> int:
        """Delete the archived records whose legal date has come (the retention purge): the
        last erasure of those records, marked as such (``kit.db.mark_erasure``)."""
        result = await session.execute(delete(self.archive).where(self.archive.c.keep_until <= now))
        purged = int(result.rowcount)  # type: ignore[attr-defined]
        if purged:
            mark_erasure(session)
        return purged

    # -- the data map ------------------------------------------------------------------------

    def categories(self) -> list[str]:
        """Every category of personal data this service can hold on a person."""
        return list(self._announcement()[0])

    def _announcement(self) -> tuple[tuple[str, ...], str]:
        """The categories and their digest, worked out again only when the metadata's tables
        change (one added or replaced): sorting the tables and reading every column's
        declaration for each mark cost each order's handlers more than the mark's own statement
        (docs/performance.md)."""
        tables = tuple(map(id, self.metadata.tables.values()))
        if self._announced_for is None or self._announced_for[0] != tables:
            categories = sorted(
                {decl.category for table, _ in self.tables() for _, decl in personal_columns(table)}
            )
            self._announced_for = (tables, (tuple(categories), self._digest(categories)))
        return self._announced_for[1]

    async def record_personal_data(
        self, session: AsyncSession, events: EventStore, *, subject: str, tenant: str
    ) -> None:
        """Tell the privacy service's data map that this service holds data on ``subject``:
        published in the caller's transaction the first time, and when the categories change."""
        categories, digest = self._announcement()
        known = await session.scalar(self._announced_as, {"subject": subject})
        if known == digest:
            return
        await session.execute(delete(self.announced).where(self.announced.c.subject == subject))
        await session.execute(
            insert(self.announced).values(subject=subject, categories=digest, at=utcnow())
        )
        await events.add(
            session,
            PERSONAL_DATA_RECORDED,
            tenant=tenant,
            subject=subject,
            payload={"service": self.service, "categories": list(categories)},
            routing_key=DATA_MAP_KEY,
        )

    async def record_personal_data_many(
        self,
        session: AsyncSession,
        batch: OutboxBatch,
        *,
        subjects: list[str],
        now: datetime,
    ) -> None:
        """``record_personal_data`` for many people at once (an import): the marks of those not
        yet announced with today's categories go to the data map through ``batch`` (the caller
        writes it), in a few statements whatever their number."""
        if not subjects:
            return
        categories, digest = self._announcement()
        announced = self.announced.c
        known: set[str] = set()
        for start in range(0, len(subjects), _CHUNK):
            chunk = subjects[start : start + _CHUNK]
            rows = await session.scalars(
                select(announced.subject).where(
                    announced.subject.in_(chunk), announced.categories == digest
                )
            )
            known.update(rows)
        todo = [s for s in dict.fromkeys(subjects) if s not in known]
        for start in range(0, len(todo), _CHUNK):
            await session.execute(
                delete(self.announced).where(announced.subject.in_(todo[start : start + _CHUNK]))
            )
        if not todo:
            return
        await session.execute(
            insert(self.announced), [{"subject": s, "categories": digest, "at": now} for s in todo]
        )
        for subject in todo:
            batch.add(
                PERSONAL_DATA_RECORDED,
                subject=subject,
                payload={"service": self.service, "categories": list(categories)},
                routing_key=DATA_MAP_KEY,
            )

    @staticmethod
    def _digest(categories: list[str]) -> str:
        """How the data map's marks remember which categories were announced."""
        return hashlib.sha256("\n".join(categories).encode()).hexdigest()

    # -- rectification and restriction -------------------------------------------------------

    async def rectify(
        self, session: AsyncSession, subject: str, corrections: dict[str, dict[str, Any]]
    ) -> dict[str, list[str]]:
        """Apply ``{table: {column: value}}`` to the person's rows: only text columns declared
        rectifiable, never the columns that say whose or which tenant's row it is. Returns what
        was applied and what was refused."""
        applied: list[str] = []
        refused: list[str] = []
        tables = {table.name: (table, info) for table, info in self.tables()}
        for table_name, values in corrections.items():
            found = tables.get(table_name)
            allowed: set[str] = set()
            if found is not None:
                table, info = found
                allowed = {
                    c.name
                    for c, d in personal_columns(table)
                    if d.rectifiable
                    and c.name not in (info.subject, info.tenant)
                    and isinstance(c.type, String)
                }
            accepted = {k: str(v).strip() for k, v in values.items() if k in allowed}
            accepted = {k: v for k, v in accepted.items() if v}
            refused += [f"{table_name}.{k}" for k in values if k not in accepted]
            if found is not None and accepted:
                table, info = found
                await session.execute(
                    update(table).where(table.c[info.subject] == subject).values(**accepted)
                )
                applied += [f"{table_name}.{k}" for k in sorted(accepted)]
        return {"applied": applied, "refused": sorted(refused)}

    async def restrict(
        self, session: AsyncSession, subject: str, *, request_id: str, now: datetime
    ) -> bool:
        return await self._flag(session, self.restrictions, subject, request_id, now)

    async def lift(self, session: AsyncSession, subject: str) -> bool:
        result = await session.execute(
            delete(self.restrictions).where(self.restrictions.c.subject == subject)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def is_restricted(self, session: AsyncSession, subject: str) -> bool:
        return await self._flagged(session, self.restrictions, subject)

    async def object(
        self, session: AsyncSession, subject: str, *, request_id: str, now: datetime
    ) -> bool:
        return await self._flag(session, self.objections, subject, request_id, now)

    async def has_objected(self, session: AsyncSession, subject: str) -> bool:
        """Checked before any direct marketing to the person (Art. 21(3): absolute)."""
        return await self._flagged(session, self.objections, subject)

    async def flagged(self, session: AsyncSession, table: Table, subjects: list[str]) -> set[str]:
        """Which of ``subjects`` carry the flag of ``table`` (restrictions or objections)."""
        rows = await session.scalars(select(table.c.subject).where(table.c.subject.in_(subjects)))
        return set(rows)

    async def _flag(
        self, session: AsyncSession, table: Table, subject: str, request_id: str, now: datetime
    ) -> bool:
        if await self._flagged(session, table, subject):
            return False
        await session.execute(
            insert(table).values(subject=subject, request_id=request_id, since=now)
        )
        return True

    async def _flagged(self, session: AsyncSession, table: Table, subject: str) -> bool:
        found = await session.scalar(select(table.c.subject).where(table.c.subject == subject))
        return found is not None

    # -- requests already handled ------------------------------------------------------------

    async def handled_result(
        self, session: AsyncSession, request_id: str, action: str
    ) -> dict[str, Any] | None:
        found = await session.scalar(
            select(self.handled.c.result).where(
                and_(self.handled.c.request_id == request_id, self.handled.c.action == action)
            )
        )
        return None if found is None else dict(json.loads(found))

    async def record_handled(
        self,
        session: AsyncSession,
        request_id: str,
        action: str,
        result: dict[str, Any],
        *,
        now: datetime,
    ) -> None:
        await session.execute(
            insert(self.handled).values(
                request_id=request_id, action=action, result=json.dumps(result), handled_at=now
            )
        )


def erasure_report(tables: list[TableErasure]) -> list[dict[str, Any]]:
    return [asdict(t) for t in tables]


__all__ = ["Personal", "SubjectData", "TableErasure", "declaration", "erasure_report"]


#: Ids per ``IN (...)`` list (SQLite allows 32,766 parameters, PostgreSQL 65,535).
_CHUNK = 5_000


class _SettingValues(dict[str, Any]):
    """``str.format_map``'s view of a settings object: each ``{name}`` is the setting."""

    def __init__(self, settings: Any) -> None:
        super().__init__()
        self.settings = settings

    def __missing__(self, name: str) -> Any:
        return getattr(self.settings, name)
