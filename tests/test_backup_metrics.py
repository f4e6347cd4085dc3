"""The backup scheduler's metric: per service, the time of its newest backup whose file still
matches the manifest (what the BackupTooOld alert reads)."""

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import REGISTRY

from devstack.backup import record_success


def write_backup(folder: Path, taken: datetime, files: dict[str, bytes]) -> Path:
    target = folder / taken.strftime("%Y%m%dT%H%M%S%fZ")
    target.mkdir(parents=True)
    entries = {}
    for service, data in files.items():
        (target / f"{service}.dump.enc").write_bytes(data)
        entries[service] = {
            "file": f"{service}.dump.enc",
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    manifest = {"taken_at": taken.isoformat(), "services": entries}
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def test_the_newest_verified_backup_of_each_service_counts(tmp_path: Path) -> None:
    older = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    newer = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    write_backup(tmp_path, older, {"bk-orders": b"a", "bk-support": b"b"})
    latest = write_backup(tmp_path, newer, {"bk-orders": b"c", "bk-support": b"d"})
    (latest / "bk-support.dump.enc").write_bytes(b"tampered")  # no longer the manifest's
    record_success(tmp_path)
    value = REGISTRY.get_sample_value
    assert value("backup_last_success_timestamp_seconds", {"service": "bk-orders"}) == (
        newer.timestamp()
    )
    # The newer support file fails its check: the older one is the last good backup.
    assert value("backup_last_success_timestamp_seconds", {"service": "bk-support"}) == (
        older.timestamp()
    )
