"""Re-apply every erasure after a backup is restored: ``python -m privacy.forget replay``.

The privacy service remembers erased people by a keyed, non-reversible hash only, in its
``forgotten`` table and in the erasure journal (a file outside every database). This command
merges both (a restored privacy database gets back the erasures made since its backup), forgets
again in privacy's own tables whoever matches, and sends the list to every service in the
registry; each one hashes the ids it holds with the same key and erases again whoever matches.
Run it after any restore of any service's database (``make restore`` does).
"""

import argparse
import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from kit.db import Database
from kit.privacy.protocol import COMMAND, Action, command_key
from privacy import journal, repository
from privacy.config import get_settings
from privacy.models import Forgotten, events, subject_data


async def replay() -> tuple[int, list[str]]:
    settings = get_settings()
    database = Database(settings.database_url)
    try:
        async with database.transaction() as db:
            known = set((await db.scalars(select(Forgotten.subject_key))).all())
            now = datetime.now(UTC)
            for entry in journal.entries(settings):
                if entry["subject_key"] not in known:
                    known.add(entry["subject_key"])
                    db.add(
                        Forgotten(
                            subject_key=entry["subject_key"],
                            tenant_id=entry.get("tenant_id", ""),
                            request_id="journal",
                            erased_at=now,
                        )
                    )
            keys = sorted(known)
            # Privacy's own tables (a restored privacy database): forget them again too.
            for subject in await subject_data.subjects(db):
                key = subject_data.subject_key(subject)
                if key in known:
                    await repository.forget_subject(db, subject=subject, key=key)
            replay_id = str(uuid.uuid4())
            for service in settings.participants:
                await events.add(
                    db,
                    COMMAND,
                    payload={
                        "request_id": replay_id,
                        "action": Action.REPLAY_ERASURES.value,
                        "subject": "",
                        "subject_keys": keys,
                    },
                    routing_key=command_key(service),
                )
        return len(keys), list(settings.participants)
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m privacy.forget")
    parser.add_argument("action", choices=["replay"])
    parser.parse_args()
    count, services = asyncio.run(replay())
    print(f"re-erasure of {count} person(s) sent to {', '.join(services)}")
    print("the privacy worker's relay publishes it; each service's worker applies it")


if __name__ == "__main__":
    main()
