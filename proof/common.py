"""What the proof suites share (``make chaos``, ``make security``, ``make load``).

Each suite starts the whole platform on fresh PostgreSQL databases and RabbitMQ (the bench
stack, on ports of its own), runs its checks, prints a summary table and writes it, with the
figures, to ``proof/results/<suite>-<time>.md``. The command fails when any check fails.
"""

import asyncio
import ssl
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from devstack.stack import ROOT, Stack

#: (HTTPS port, HTTP port, service port offset) of each suite: none clashes with the e2e,
#: browser or bench stacks, so a suite can run beside them.
PORTS = {
    "chaos": (29443, 29080, 21000),
    "security": (30443, 30080, 22000),
    "load": (31443, 31080, 23000),
    # The small runs of make test (CHAOS_FAST, SECURITY_FAST), beside the full ones. Below
    # 32768, where Linux takes the local ports of outgoing connections: at 35080 the gateway
    # of a make test once found its port held by some connection's end ("Address already in
    # use"). Every port of a suite (its gateway's two, its services' offset + 8025 ... 8205)
    # stays out of that range and out of the e2e, browser and benchmark stacks' (18000-31999).
    "chaos-fast": (11443, 11080, 3000),
    "security-fast": (12443, 12080, 4000),
}
RESULTS = ROOT / "proof" / "results"


@dataclass
class Check:
    """One line of a summary: what was checked, the figure seen, and whether it passed
    (``None``: a figure reported without a target)."""

    name: str
    figure: str
    passed: bool | None = True


def gateway_client(stack: Stack, **kwargs: object) -> httpx.Client:
    """A client of the stack's gateway that trusts its self-signed certificate only."""
    context = ssl.create_default_context(cafile=str(stack.config.var_dir / "tls" / "gateway.crt"))
    return httpx.Client(
        base_url=f"https://localhost:{stack.config.https_port}",
        verify=context,
        timeout=30,
        **kwargs,  # type: ignore[arg-type]
    )


#: How a check's result reads in the tables (and, in lower case, in make load's JSON).
VERDICTS = {True: "pass", False: "FAIL", None: "info"}


def report(
    suite: str, checks: list[Check], notes: list[str] | None = None, *, latest: bool = False
) -> int:
    """Print the summary table, write it to proof/results (and, with ``latest``, to
    ``<suite>-latest.md`` too: the copy kept in git); 0 when every check passed."""
    width = max(len(check.name) for check in checks)
    lines = [
        f"# {suite}: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"| {'check':<{width}} | result | figure |",
        f"|{'-' * (width + 2)}|--------|--------|",
    ]
    lines += [f"| {c.name:<{width}} | {VERDICTS[c.passed]:<6} | {c.figure} |" for c in checks]
    if notes:
        lines += ["", *notes]
    failed = [c.name for c in checks if c.passed is False]
    lines += ["", f"{len(checks) - len(failed)} of {len(checks)} lines passed or informative."]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{suite}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.md"
    path.write_text(text)
    if latest:
        (RESULTS / f"{suite}-latest.md").write_text(text)
    print("\n" + text + f"written to {path.relative_to(ROOT)}", flush=True)
    return 1 if failed else 0


def say(suite: str, text: str) -> None:
    print(f"[{suite}] {text}", flush=True)


async def fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of ``sql`` on the database of SQLAlchemy URL ``url``; waits (30 s at most) for a
    free connection slot: the machine's PostgreSQL is shared with other stacks."""
    for _ in range(60):
        try:
            conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
            break
        except asyncpg.exceptions.TooManyConnectionsError:
            await asyncio.sleep(0.5)
    else:
        raise RuntimeError("PostgreSQL has no free connection slot")
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def wait_drained(stack: Stack, within: float) -> tuple[dict[str, int], float]:
    """Unpublished outbox rows per service, once all are 0 or after ``within`` seconds; and the
    seconds waited."""
    started = time.monotonic()
    sql = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
    while True:
        pending = {
            name: int((await fetch(url, sql))[0][0])
            for name, url in stack.config.database_urls.items()
        }
        if not any(pending.values()) or time.monotonic() - started > within:
            return pending, time.monotonic() - started
        await asyncio.sleep(0.5)


def broker_queues(exchange: str, column: str, *, timeout: float | None = None) -> dict[str, str]:
    """``column`` (messages, consumers...) of every RabbitMQ queue of a stack's ``exchange``
    (its queues are named ``<exchange>.<queue>``), from ``rabbitmqctl list_queues``;
    ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
    listing = subprocess.run(
        ["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", column],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout
    found = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith(f"{exchange}."):
            found[parts[0]] = parts[1]
    return found
