"""Re-apply every erasure after a backup is restored: ``python -m privacy.forget replay``.

The privacy service remembers erased people by a keyed, non-reversible hash only, in its
``forgotten`` table and in the erasure journal (a file outside every database). This command
merges both (a restored privacy database gets back the erasures made since its backup), forgets
again in privacy's own tables whoever matches, and sends the list to every service in the
registry; each one hashes the ids it holds with the same key and erases again whoever matches.
Run it after any restore of any service's database (``make restore`` does). The work itself is
``privacy.erasures.service.replay``.
"""

import argparse
import asyncio
from datetime import UTC, datetime

from kit.db import Database
from privacy.config import get_settings
from privacy.erasures.service import replay as replay_erasures
from privacy.models import subject_data


async def replay() -> tuple[int, list[str]]:
    settings = get_settings()
    subject_data.bind(settings)
    database = Database(settings.database_url)
    try:
        async with database.transaction() as db:
            count = await replay_erasures(db, settings, datetime.now(UTC))
        return count, list(settings.participants)
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
