"""The erasure journal: an append-only file of the people erased, by keyed hash and time.

It lives outside the databases, so a database restored from a backup (privacy's own included)
can be followed by erasing again everyone erased since (``python -m privacy.forget replay``).
A line is written before the erasure's bookkeeping commits: at worst a line names a person
whose erasure has already happened everywhere but in that bookkeeping, which a replay then
completes. Lines hold a keyed hash, a tenant id and a time: nothing about the person.
"""

import json
import os
from datetime import datetime
from pathlib import Path

from privacy.config import Settings


def _path(settings: Settings) -> Path:
    assert settings.journal_path is not None
    return settings.journal_path


def append(settings: Settings, *, subject_key: str, tenant_id: str, at: datetime) -> None:
    path = _path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps({"subject_key": subject_key, "tenant_id": tenant_id, "at": at.isoformat()})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def entries(settings: Settings) -> list[dict[str, str]]:
    path = _path(settings)
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a crash: the erasure's row in the database still counts
        if isinstance(entry, dict) and "subject_key" in entry:
            found.append({k: str(v) for k, v in entry.items()})
    return found
