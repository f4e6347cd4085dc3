"""Encrypted backups of every service's database, and restores that erase again (X3).

    python -m devstack.backup backup                      # make backup
    python -m devstack.backup restore <dir> [service...]  # make restore FROM=<dir> [SERVICES=...]
    python -m devstack.backup schedule --at 02:30 --keep-days 35   # compose's daily job

A backup is a dated folder under ``var/backups`` holding, per service, its database dump
(PostgreSQL: ``pg_dump`` custom format; SQLite: a consistent copy through SQLite's backup API)
encrypted with AES-256-GCM under ``BACKUP_KEY`` (bound to the service and the backup's time),
and a ``manifest.json`` (time, services, sizes, SHA-256 of each file). Every restore ends with
``python -m privacy.forget replay``: everyone erased since the backup (the erasure journal and
privacy's list) is erased again in every service, so a restore never brings an erased person
back. The services keep running: ``pg_restore --clean`` replaces the tables in place.

Database URLs: each service's ``DATABASE_URL`` as the services see it; ``--urls`` (or the
``BACKUP_URLS`` variable) takes a JSON map ``{service: url}`` (the tests and compose),
otherwise the local run's SQLite files.

``schedule`` runs for ever (compose's ``backup`` service): a backup every day at ``--at``
(UTC), then the backups older than ``--keep-days`` are deleted, so that no copy outlives its
purpose; one JSON line per run on standard output, without personal data. With
``BACKUP_METRICS_PORT`` set it serves ``backup_last_success_timestamp_seconds{service}`` there
(Prometheus; address ``BACKUP_METRICS_HOST``, default 127.0.0.1): the time of the newest backup
whose files match their manifest, read again at start so that a restart keeps it.
"""

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import start_http_server
from sqlalchemy.engine import make_url

from devstack.stack import ROOT, SERVICES
from kit.crypto import AesGcm
from kit.metrics import BACKUP_LAST_SUCCESS
from kit.settings import DEV_SECRET_MARKER, PRODUCTION_LIKE, is_placeholder

DEFAULT_KEY = DEV_SECRET_MARKER + "backup-key"


def cipher() -> AesGcm:
    secret = os.environ.get("BACKUP_KEY") or DEFAULT_KEY
    environment = os.environ.get("ENVIRONMENT", "")
    if environment in PRODUCTION_LIKE and is_placeholder(secret):
        sys.exit(f"refusing to back up with ENVIRONMENT={environment}: BACKUP_KEY is a placeholder")
    return AesGcm({"b1": hashlib.sha256(secret.encode()).digest()}, "b1")


def default_urls(var_dir: Path) -> dict[str, str]:
    return {s.name: f"sqlite+aiosqlite:///{var_dir / 'db' / s.name}.db" for s in SERVICES}


def _libpq(url: str) -> str:
    """The URL as pg_dump reads it (no driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def dump(url: str) -> bytes:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "copy.db"
            source = sqlite3.connect(str(parsed.database))
            target = sqlite3.connect(str(copy))
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            return copy.read_bytes()
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--dbname", _libpq(url)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"pg_dump failed: {result.stderr.decode(errors='replace')[:500]}")
    return result.stdout


def load(url: str, data: bytes) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "copy.db"
            copy.write_bytes(data)
            source = sqlite3.connect(str(copy))
            target = sqlite3.connect(str(parsed.database))
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        return
    with tempfile.NamedTemporaryFile(suffix=".dump") as file:
        file.write(data)
        file.flush()
        result = subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                _libpq(url),
                file.name,
            ],
            capture_output=True,
            check=False,
        )
    if result.returncode != 0:
        sys.exit(f"pg_restore failed: {result.stderr.decode(errors='replace')[:500]}")


def backup(urls: dict[str, str], folder: Path) -> Path:
    now = datetime.now(UTC)
    target = folder / now.strftime("%Y%m%dT%H%M%S%fZ")
    target.mkdir(parents=True, mode=0o700)
    box = cipher()
    files: dict[str, dict[str, object]] = {}
    for service, url in sorted(urls.items()):
        sealed = box.encrypt(dump(url), context=f"{service}|{now.isoformat()}".encode())
        path = target / f"{service}.dump.enc"
        path.write_bytes(sealed)
        path.chmod(0o600)
        files[service] = {
            "file": path.name,
            "bytes": len(sealed),
            "sha256": hashlib.sha256(sealed).hexdigest(),
        }
    manifest = {"taken_at": now.isoformat(), "services": files}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return target


def restore(urls: dict[str, str], source: Path, services: list[str]) -> list[str]:
    manifest = json.loads((source / "manifest.json").read_text())
    box = cipher()
    done = []
    for service in services or sorted(manifest["services"]):
        entry = manifest["services"][service]
        sealed = (source / entry["file"]).read_bytes()
        if hashlib.sha256(sealed).hexdigest() != entry["sha256"]:
            sys.exit(f"{service}: the backup file does not match its manifest")
        data = box.decrypt(sealed, context=f"{service}|{manifest['taken_at']}".encode())
        load(urls[service], data)
        done.append(service)
    return done


def replay_erasures(privacy_env: dict[str, str]) -> str:
    """``python -m privacy.forget replay`` with privacy's own environment."""
    result = subprocess.run(
        [sys.executable, "-m", "privacy.forget", "replay"],
        env=privacy_env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        sys.exit(f"the replay of erasures failed: {result.stderr[-500:]}")
    return result.stdout.strip()


def seconds_until(at: str, now: datetime) -> float:
    """Seconds from ``now`` to the next ``HH:MM`` (UTC)."""
    hour, minute = (int(part) for part in at.split(":"))
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


def prune(folder: Path, keep_days: int, now: datetime) -> list[str]:
    """Delete the backups taken more than ``keep_days`` ago; their names."""
    removed = []
    for manifest in sorted(folder.glob("*/manifest.json")):
        taken = datetime.fromisoformat(json.loads(manifest.read_text())["taken_at"])
        if now - taken > timedelta(days=keep_days):
            shutil.rmtree(manifest.parent)
            removed.append(manifest.parent.name)
    return removed


def verified(target: Path) -> dict[str, datetime]:
    """Each service's backup in ``target`` whose file matches the manifest (size, SHA-256),
    with the backup's time."""
    manifest = json.loads((target / "manifest.json").read_text())
    taken = datetime.fromisoformat(manifest["taken_at"])
    found: dict[str, datetime] = {}
    for service, entry in manifest["services"].items():
        path = target / entry["file"]
        if path.exists():
            data = path.read_bytes()
            if len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]:
                found[service] = taken
    return found


def record_success(folder: Path) -> None:
    """``backup_last_success_timestamp_seconds``: per service, its newest verified backup."""
    latest: dict[str, datetime] = {}
    for manifest in sorted(folder.glob("*/manifest.json")):
        latest |= verified(manifest.parent)
    for service, taken in latest.items():
        BACKUP_LAST_SUCCESS.labels(service).set(taken.timestamp())


def schedule(urls: dict[str, str], folder: Path, at: str, keep_days: int) -> None:
    cipher()  # refuse a development key before the first night, not at it
    port = int(os.environ.get("BACKUP_METRICS_PORT") or 0)
    if port:
        start_http_server(port, addr=os.environ.get("BACKUP_METRICS_HOST", "127.0.0.1"))
        record_success(folder)
    while True:
        time.sleep(seconds_until(at, datetime.now(UTC)))
        started = time.monotonic()
        target = backup(urls, folder)
        record_success(folder)
        removed = prune(folder, keep_days, datetime.now(UTC))
        line = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "event": "backup written",
            "backup": target.name,
            "services": sorted(urls),
            "seconds": round(time.monotonic() - started, 1),
            "deleted_backups": removed,
        }
        print(json.dumps(line), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.backup")
    sub = parser.add_subparsers(dest="command", required=True)
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--urls", help="JSON map {service: database URL}", default=None)
    sub.add_parser("backup")
    rest = sub.add_parser("restore")
    rest.add_argument("source", type=Path)
    rest.add_argument("services", nargs="*")
    daily = sub.add_parser("schedule")
    daily.add_argument("--at", default="02:30", help="the time of the daily backup, HH:MM UTC")
    daily.add_argument("--keep-days", type=int, default=35)
    args = parser.parse_args()
    given = args.urls or os.environ.get("BACKUP_URLS")
    urls = json.loads(given) if given else default_urls(args.var_dir)
    if args.command == "schedule":
        schedule(urls, args.var_dir / "backups", args.at, args.keep_days)
        return
    if args.command == "backup":
        target = backup(urls, args.var_dir / "backups")
        print(f"backup of {', '.join(sorted(urls))} written to {target}")
        return
    done = restore(urls, args.source, args.services)
    print(f"restored {', '.join(done)} from {args.source}")
    env = dict(os.environ)
    env.setdefault("VAR_DIR", str(args.var_dir))
    env["DATABASE_URL"] = urls["privacy"]
    print(replay_erasures(env))


if __name__ == "__main__":
    main()
