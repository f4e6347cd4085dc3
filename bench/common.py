"""What every benchmark shares: the stack on test ports, the demo password, the results file."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.stack import ROOT, Stack

sys.path.insert(0, str(ROOT))
from tests.conftest import postgres_stack

PASSWORD = "Bench-Demo-Password-2026!"
HTTPS_PORT, HTTP_PORT, OFFSET = 28443, 28080, 20000
RESULTS = ROOT / "bench" / "results"


@contextmanager
def bench_stack(name: str, exchange: str) -> Iterator[Stack]:
    """The whole platform on fresh PostgreSQL databases and RabbitMQ, quiet logs."""
    env = {"EVENTS_EXCHANGE": exchange, "LOG_LEVEL": "WARNING"}
    with postgres_stack(
        name,
        https_port=HTTPS_PORT,
        http_port=HTTP_PORT,
        port_offset=OFFSET,
        password=PASSWORD,
        env=env,
    ) as stack:
        yield stack


def write_result(kind: str, result: dict[str, Any]) -> Path:
    """``bench/results/<kind>-<time>.json``; returns the path relative to the repository."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    return path.relative_to(ROOT)
