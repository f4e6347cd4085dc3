"""The daily backup job of compose (python -m devstack.backup schedule): when it runs, and
which backups it deletes."""

import json
from datetime import UTC, datetime
from pathlib import Path

from devstack.backup import prune, seconds_until


def test_the_next_run_is_today_or_tomorrow_at_the_set_time() -> None:
    assert seconds_until("02:30", datetime(2026, 11, 27, 1, 30, tzinfo=UTC)) == 3600
    assert seconds_until("02:30", datetime(2026, 11, 27, 2, 30, tzinfo=UTC)) == 24 * 3600
    assert seconds_until("02:30", datetime(2026, 11, 27, 23, 30, tzinfo=UTC)) == 3 * 3600


def test_backups_older_than_the_retention_are_deleted(tmp_path: Path) -> None:
    for name, taken in (("old", "2026-10-01T02:30:00+00:00"), ("new", "2026-11-20T02:30:00+00:00")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "identity.dump.enc").write_bytes(b"x")
        (tmp_path / name / "manifest.json").write_text(json.dumps({"taken_at": taken}))
    removed = prune(tmp_path, 35, datetime(2026, 11, 27, 2, 31, tzinfo=UTC))
    assert removed == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]
    assert prune(tmp_path, 35, datetime(2026, 11, 27, 2, 31, tzinfo=UTC)) == []
