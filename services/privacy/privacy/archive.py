"""Export archives: one zip per access or portability request, encrypted at rest.

Inside: a JSON file per service, a CSV per table, ``manifest.json`` with the Art. 15
information (purposes, legal bases, categories, recipients, retention, source, rights, how to
complain) and ``README.txt``, a short summary in plain words.

On disk a file follows its row of ``archives`` (issue 14): it is written under a pending name
inside the transaction that adds the row and takes its own name only once that transaction
commits; a rollback deletes it. A file is deleted only once the removal of its row commits.
Whatever a crash leaves between the two (a pending file, a file whose row is gone) is found by
``sweep``, which the archive purge runs: no file outlives its row unseen.
"""

import csv
import io
import json
import logging
import os
import zipfile
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from privacy.config import Settings

log = logging.getLogger("privacy.archive")

RIGHTS = {
    "access": "Art. 15: a copy of everything we hold about you (this archive).",
    "rectification": "Art. 16: have wrong data corrected.",
    "erasure": "Art. 17: have your data erased, except what the law makes us keep.",
    "restriction": "Art. 18: have your data frozen: kept, but not used.",
    "portability": "Art. 20: the data you gave us, in a machine-readable form.",
    "objection": "Art. 21: object to a processing, always to marketing.",
}
COMPLAINT = (
    "You can complain to the CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, "
    "France, https://www.cnil.fr/fr/plaintes"
)


def manifest(
    *,
    request: dict[str, Any],
    inventories: list[dict[str, Any]],
    settings: Settings,
) -> dict[str, Any]:
    """The Art. 15 information, derived from the services' declarations."""
    purposes: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"legal_bases": set(), "categories": set(), "services": set()}
    )
    retention, recipients, sources = [], set(), set()
    for table in inventories:
        sources.add(table["source"])
        recipients.update(table["recipients"])
        for field in table["fields"]:
            entry = purposes[field["purpose"]]
            entry["legal_bases"].add(field["basis"])
            entry["categories"].add(field["category"])
            entry["services"].add(table["service"])
        retention.append(
            {
                "service": table["service"],
                "table": table["table"],
                "kept": table["kept"],
                "after_erasure": table["retention"],
            }
        )
    return {
        "request": request,
        "controller": "The benefits platform operator, on behalf of your employer's works council",
        "dpo": {
            "name": settings.dpo_name,
            "email": settings.dpo_email,
            "address": settings.dpo_address,
        },
        "purposes": {
            name: {k: sorted(v) for k, v in value.items()}
            for name, value in sorted(purposes.items())
        },
        "recipients": sorted(recipients) or ["none outside the platform"],
        "transfers_outside_eu": "none",
        "retention": retention,
        "sources": sorted(sources),
        "automated_decisions": "none",
        "your_rights": RIGHTS,
        "complaint": COMPLAINT,
    }


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns = sorted({k for row in rows for k in row})
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()}
        )
    return out.getvalue()


def build(
    *,
    request: dict[str, Any],
    parts: dict[str, dict[str, Any]],
    settings: Settings,
    now: datetime,
) -> bytes:
    """The zip of one request: ``parts`` maps a service to ``{tables, inventory}``."""
    inventories = [entry for part in parts.values() for entry in part["inventory"]]
    buffer = io.BytesIO()
    lines = [
        "Your data on the benefits platform",
        "",
        f"Request {request['id']} ({request['type']}), archive made {now:%Y-%m-%d %H:%M} UTC.",
        "",
        "What each service holds about you:",
    ]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for service, part in sorted(parts.items()):
            archive.writestr(
                f"{service}.json", json.dumps(part["tables"], indent=2, ensure_ascii=False)
            )
            for table, rows in sorted(part["tables"].items()):
                if rows:
                    archive.writestr(f"csv/{service}/{table}.csv", _csv(rows))
                lines.append(f"  - {service} / {table}: {len(rows)} record(s)")
        info = manifest(request=request, inventories=inventories, settings=settings)
        archive.writestr("manifest.json", json.dumps(info, indent=2, ensure_ascii=False))
        lines += [
            "",
            "manifest.json says why we hold each piece of data (purpose and legal basis), who",
            "receives it, how long it is kept, where it comes from, and your rights.",
            f"Questions: {settings.dpo_email}. {COMPLAINT}.",
            "",
            "This archive is deleted from our servers 7 days after it was made.",
        ]
        archive.writestr("README.txt", "\n".join(lines) + "\n")
    return buffer.getvalue()


# -- the file on disk --------------------------------------------------------------------------

#: Archive files are ``<random>.zip.enc``; ``.pending`` until their transaction commits.
SUFFIX = ".zip.enc"
PENDING = ".pending"
#: A pending file older than this has no transaction left that could commit it.
PENDING_GRACE = timedelta(hours=1)
_STAGED = "privacy.archive.staged"
_DISCARDED = "privacy.archive.discarded"


def pending_path(path: Path) -> Path:
    return path.with_name(path.name + PENDING)


def stage(db: AsyncSession, path: Path, data: bytes) -> None:
    """Write ``data`` under ``path``'s pending name now (owner-only, flushed to disk) and give
    it ``path`` once ``db``'s transaction commits; if it rolls back, the file is deleted."""
    pending = pending_path(path)
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    db.sync_session.info.setdefault(_STAGED, []).append(path)


def discard(db: AsyncSession, path: Path) -> None:
    """Delete ``path`` once ``db``'s transaction (which removes its row) commits."""
    db.sync_session.info.setdefault(_DISCARDED, []).append(path)


def read(path: Path) -> bytes | None:
    """The file of a committed row: under its name, or still pending when the process that
    committed it stopped before renaming it (then renamed now). None when it is gone."""
    for candidate in (path, pending_path(path)):
        try:
            data = candidate.read_bytes()
        except FileNotFoundError:
            continue
        if candidate != path:
            _publish(path)
        return data
    return None


def _publish(path: Path) -> None:
    try:
        os.replace(pending_path(path), path)
    except FileNotFoundError:
        pass  # renamed meanwhile (by a download or the purge), or deleted with its row
    except OSError:
        log.warning("an archive could not take its name; the next purge tries again")


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction decides
    for path in session.info.pop(_STAGED, []):
        _publish(path)
    for path in session.info.pop(_DISCARDED, []):
        path.unlink(missing_ok=True)
        pending_path(path).unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without committing what it staged (rolled back, or
    closed): its pending files go, and the files it meant to delete stay with their rows."""
    if transaction.parent is not None:
        return
    for path in session.info.pop(_STAGED, []):
        pending_path(path).unlink(missing_ok=True)
    session.info.pop(_DISCARDED, None)


@dataclass(frozen=True)
class Swept:
    removed: int
    published: int


def listing(folder: Path) -> list[Path]:
    """The archive files in ``folder``, pending or not: list them *before* reading the rows'
    file names, so that a file named after its commit always finds its row."""
    return sorted(p for p in folder.iterdir() if p.name.endswith((SUFFIX, SUFFIX + PENDING)))


def sweep(files: Sequence[Path], known: Collection[str], now: datetime) -> Swept:
    """Reconcile ``files`` (``listing``) with the file names of the rows, ``known``:
    - a file without a row is an orphan (its row was never committed, or is gone): removed;
    - a pending file whose row exists was committed and its rename lost: it takes its name;
    - a pending file without a row is removed once older than ``PENDING_GRACE`` (its
      transaction may still be open before that)."""
    removed = published = 0
    for path in files:
        final = path.name.removesuffix(PENDING)
        if final in known:
            if final != path.name:
                _publish(path.with_name(final))
                published += 1
            continue
        if final != path.name:
            try:
                modified = datetime.fromtimestamp(path.stat().st_mtime, now.tzinfo)
            except FileNotFoundError:
                continue
            if now - modified < PENDING_GRACE:
                continue
        path.unlink(missing_ok=True)
        removed += 1
    return Swept(removed, published)
