"""What every benchmark shares: the stack on test ports, the demo password, the results file."""

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyotp

from devstack.stack import ROOT, Stack

sys.path.insert(0, str(ROOT))
from tests.conftest import postgres_stack

PASSWORD = "Bench-Demo-Password-2026!"
#: The demo staff accounts' TOTP secret in the bench stack (DEMO_TOTP_SECRET).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: Two people benchmarking on one machine: BENCH_SHIFT=n moves every port by 1,000 n.
SHIFT = int(os.environ.get("BENCH_SHIFT", "0"))
HTTPS_PORT, HTTP_PORT, OFFSET = 28443 + 1000 * SHIFT, 28080 + 1000 * SHIFT, 20000 + 1000 * SHIFT
RESULTS = ROOT / "bench" / "results"


@contextmanager
def bench_stack(
    name: str,
    exchange: str,
    *,
    ports: tuple[int, int, int] = (HTTPS_PORT, HTTP_PORT, OFFSET),
    env: dict[str, str] | None = None,
    api_replicas: int = 1,
) -> Iterator[Stack]:
    """The whole platform on fresh PostgreSQL databases and RabbitMQ, quiet logs.

    ``ports``: the gateway's HTTPS and HTTP ports and the offset added to the services' ports
    (each suite of bench/ and proof/ has its own, so that two can run side by side)."""
    https_port, http_port, offset = ports
    if SHIFT:  # a stack of its own on the shared RabbitMQ too: accounts and queues are named
        # after the exchange, and another person's run of the same benchmark removes them
        exchange = f"{exchange.removesuffix('.events')}-{SHIFT}.events"
    env = {
        "EVENTS_EXCHANGE": exchange,
        "LOG_LEVEL": "WARNING",
        "DEMO_TOTP_SECRET": TOTP_SECRET,
        **(env or {}),
    }
    with ExitStack() as resources:
        # On a machine others benchmark on, a dozen processes importing at once can miss the
        # stack's 60 s readiness deadline: start it again (fresh databases) up to twice.
        for attempt in range(1, 4):
            try:
                stack = resources.enter_context(
                    postgres_stack(
                        name,
                        https_port=https_port,
                        http_port=http_port,
                        port_offset=offset,
                        password=PASSWORD,
                        env=env,
                        api_replicas=api_replicas,
                    )
                )
                break
            except RuntimeError as exc:
                if "not ready" not in str(exc) or attempt == 3:
                    raise
                say(f"{exc}: starting the stack again (load average {machine_load()})")
        yield stack


def write_result(kind: str, result: dict[str, Any]) -> Path:
    """``bench/results/<kind>-<time>.json`` (git ignores it), and the same text as
    ``bench/results/<kind>-latest.json``, which is committed: each figure of the docs quotes
    a latest file, so it has its source. Returns the dated path, relative to the repository."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2) + "\n"
    path = RESULTS / f"{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(text)
    (RESULTS / f"{kind}-latest.json").write_text(text)
    return path.relative_to(ROOT)


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile of ``values`` (nearest rank), rounded to 0.1."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


def machine_load() -> float:
    """The machine's 1-minute load average before a benchmark starts: above the core count,
    other work shares the CPU and the figures are lower than the platform's (noted in each
    result)."""
    return round(os.getloadavg()[0], 2)


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def rss_mib(pids: list[int]) -> float:
    """The resident memory of processes ``pids`` together, in MiB (from /proc)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return round(total / 1024, 1)


def login(client: httpx.Client, email: str, tenant: str = "demo") -> None:
    """Log ``client`` in (with the second step for staff) and set its CSRF header."""
    response = client.post(
        "/api/auth/login", json={"tenant": tenant, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    if response.json().get("mfa_required"):
        totp = pyotp.TOTP(TOTP_SECRET)
        for _ in range(3):  # a code is accepted once: the next step's if this one was used
            if client.post("/api/auth/mfa", json={"code": totp.now()}).status_code == 200:
                break
            time.sleep(30.2 - time.time() % 30)
        else:
            raise AssertionError("second step refused")
    client.headers["X-CSRF-Token"] = client.cookies["csrf_token"]


async def new_employees(
    admin: httpx.AsyncClient,
    new_client: Callable[[], httpx.AsyncClient],
    count: int,
    prefix: str,
    *,
    tenant: str = "demo",
    parallel: int = 4,
) -> list[httpx.AsyncClient]:
    """``count`` new employees ``<prefix>-<i>@<tenant>.test`` (password ``PASSWORD``), created
    by the tenant admin's logged-in ``admin`` through ``POST /api/users``, each then logged in
    on a client of ``new_client()`` with its CSRF header set; returned in order.

    Logins keep to the gateway's login limit: a 429 is waited out and tried again."""
    gate = asyncio.Semaphore(parallel)

    async def one(i: int) -> httpx.AsyncClient:
        email = f"{prefix}-{i}@{tenant}.test"
        body = {"email": email, "first_name": "Bench", "last_name": f"E{i}", "password": PASSWORD}
        async with gate:
            created = await admin.post("/api/users", json=body)
            assert created.status_code == 201, created.text
            return await log_in(new_client(), email, tenant=tenant)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def log_in(
    client: httpx.AsyncClient, email: str, *, tenant: str = "demo"
) -> httpx.AsyncClient:
    """``client`` logged in as the employee ``email`` (password ``PASSWORD``), its CSRF header
    set. Logins keep to the gateway's login limit: a 429 is waited out and tried again."""
    credentials = {"tenant": tenant, "email": email, "password": PASSWORD}
    for _ in range(600):
        response = await client.post("/api/auth/login", json=credentials)
        if response.status_code != 429:
            break
        await asyncio.sleep(0.2)
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = client.cookies["csrf_token"]
    return client
