"""Export archives on disk: encrypted files that follow their rows of ``archives``.

A file is written under a pending name inside the transaction that adds its row and takes its
own name only once that transaction commits; a rollback deletes it (issue 14). A file is
deleted only once the removal of its row commits. Whatever a crash leaves between the two (a
pending file, a file whose row is gone) is found by ``sweep``, which the archive purge runs: no
file outlives its row unseen.
"""

import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("privacy.archive")

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
