"""Reliability suite: ``make chaos``.

The whole platform on PostgreSQL and RabbitMQ (ports of its own, see proof/common.py). The
DPO files 200 erasure requests through the gateway, a few a second, for people generated in
the identity service (bench/generate.py); each request asks every service in turn. While they
are in flight, every process of every service (the five APIs and their five workers) is
killed once with SIGKILL and brought back a second later, as compose's restart policy would,
and RabbitMQ itself is stopped and started once.

Then it checks, straight in each service's database and in RabbitMQ:
- all 200 requests completed, one request per person (a refiled request after a 5xx finds
  the open one);
- no effect happened twice: each service recorded each command's effect once
  (``dsr_handled`` rows = requests), each task of each request was answered once, exactly 200
  accounts are gone and every other generated account is still there, each erased person is
  in the forget list once;
- every outbox drained (no row left unpublished);
- every dead-letter queue of the stack is empty, or each message in it is listed.

Summary table: proof/results/chaos-<time>.md. Settings: CHAOS_REQUESTS (200), CHAOS_RATE
(requests filed a second, 20), CHAOS_GAP (seconds between blows, 1.5), CHAOS_PEOPLE (people
generated, 1000).
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from devstack.stack import ROOT, SERVICES, Stack, wait_for_tcp

sys.path.insert(0, str(ROOT))
from bench.common import bench_stack, login
from bench.generate import email, generate_in
from proof.common import PORTS, Check, gateway_client, report

SUITE = "chaos"
REQUESTS = int(os.environ.get("CHAOS_REQUESTS", "200"))
RATE = float(os.environ.get("CHAOS_RATE", "20"))
#: Seconds between two blows.
GAP = float(os.environ.get("CHAOS_GAP", "1.5"))
PEOPLE = int(os.environ.get("CHAOS_PEOPLE", "1000"))
EXCHANGE = "chaos.events"
#: The order of the blows, one every few seconds while requests are in flight.
BLOWS = [
    "privacy-worker",
    "identity",
    "orders-worker",
    "privacy",
    "subsidies-worker",
    "rabbitmq",
    "support",
    "identity-worker",
    "orders",
    "subsidies",
    "support-worker",
]


def say(text: str) -> None:
    print(f"[{SUITE}] {time.strftime('%H:%M:%S')} {text}", flush=True)


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql")


async def _query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    for _ in range(30):  # other stacks on this machine's server may hold every connection
        try:
            conn = await asyncpg.connect(dsn(url))
            break
        except asyncpg.TooManyConnectionsError:
            await asyncio.sleep(1)
    else:
        conn = await asyncpg.connect(dsn(url))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def query(stack: Stack, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    return asyncio.run(_query(stack.config.database_urls[service], sql, *args))


@dataclass
class Filing:
    """What the DPO's side saw while filing the requests."""

    ids: dict[str, str] = field(default_factory=dict)  # email -> request id
    refiled: int = 0  # attempts that got a 5xx or no answer, then were made again
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def file_all(dpo: httpx.Client, emails: list[str], filing: Filing) -> None:
    """File one erasure per person at ``RATE`` a second; a 5xx or a dropped connection (a
    service was just killed) is retried with the same body, as any client would."""

    def one(address: str) -> None:
        body = {
            "type": "erasure",
            "email": address,
            "channel": "email",
            "identity_check": "checked by the chaos suite",
            "verify_by_code": False,
        }
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                response = dpo.post("/api/privacy/requests/on-behalf", json=body)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 202:
                with filing.lock:
                    filing.ids[address] = str(response.json()["id"])
                return
            if response is not None and response.status_code < 500:
                with filing.lock:
                    filing.refused.append(f"{response.status_code} {response.text[:120]}")
                return
            with filing.lock:
                filing.refiled += 1
            time.sleep(0.5)
        with filing.lock:
            filing.refused.append("no answer for 120 s")

    with ThreadPoolExecutor(8) as pool:
        for address in emails:
            pool.submit(one, address)
            time.sleep(1 / RATE)


def in_flight(stack: Stack) -> int:
    try:
        rows = query(stack, "privacy", "SELECT count(*) FROM requests WHERE status = 'in_progress'")
        return int(rows[0][0])
    except (OSError, asyncpg.PostgresError):
        return -1


def restart_rabbitmq() -> float:
    """Stop the broker's node and start it again; seconds until it takes connections."""
    started = time.monotonic()
    subprocess.run(["rabbitmqctl", "stop"], check=True, capture_output=True)
    subprocess.run(["rabbitmq-server", "-detached"], check=True, capture_output=True)
    while time.monotonic() - started < 120:  # the node needs a moment before it can be asked
        ready = subprocess.run(
            ["rabbitmqctl", "await_startup", "--timeout", "60"], capture_output=True, check=False
        )
        if ready.returncode == 0 and wait_for_tcp("127.0.0.1", 5672, 10):
            return time.monotonic() - started
        time.sleep(1)
    raise RuntimeError("RabbitMQ did not come back within 120 s")


def blow(stack: Stack, name: str) -> str:
    """SIGKILL one process and restart it a second later; or restart RabbitMQ."""
    if name == "rabbitmq":
        return f"back after {restart_rabbitmq():.1f} s"
    process = stack.process(name)
    assert process.popen is not None and process.alive, f"{name} is not running"
    process.popen.send_signal(signal.SIGKILL)
    code = process.popen.wait()
    time.sleep(1)
    process.start()
    return f"exit {code}, restarted"


def chaos(stack: Stack, gap: float, events: list[str]) -> None:
    time.sleep(gap / 2)
    for name in BLOWS:
        flying = in_flight(stack)
        outcome = blow(stack, name)
        events.append(f"{name}: killed with {flying} requests in progress, {outcome}")
        say(events[-1])
        time.sleep(gap)


def wait_completed(stack: Stack, ids: list[str], timeout: float) -> tuple[int, int, float]:
    """(completed, failed, seconds waited) once no request is in progress, or at timeout."""
    started = time.monotonic()
    while True:
        rows = query(
            stack,
            "privacy",
            "SELECT status, count(*) FROM requests WHERE id = ANY($1::varchar[]) GROUP BY status",
            ids,
        )
        counts = {row[0]: int(row[1]) for row in rows}
        waited = time.monotonic() - started
        if counts.get("in_progress", 0) == 0 or waited > timeout:
            return counts.get("completed", 0), counts.get("failed", 0), waited
        time.sleep(1)


def outbox_backlog(stack: Stack) -> dict[str, int]:
    return {
        spec.name: int(
            query(stack, spec.name, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0]
        )
        for spec in SERVICES
    }


def wait_drained(stack: Stack, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    backlog = outbox_backlog(stack)
    while any(backlog.values()) and time.monotonic() < deadline:
        time.sleep(1)
        backlog = outbox_backlog(stack)
    return backlog


def dead_letters() -> dict[str, int]:
    """Messages in each dead-letter queue of this stack's exchange."""
    listing = subprocess.run(
        ["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "messages"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith(f"{EXCHANGE}.") and parts[0].endswith(".dead"):
            found[parts[0]] = int(parts[1])
    return found


def explain_dead_letters(stack: Stack, queue: str) -> list[str]:
    """List a dead-letter queue's messages (they stay there) with kit.events.dead_letters."""
    consuming = queue.removesuffix(".dead")
    listing = subprocess.run(
        [sys.executable, "-m", "kit.events.dead_letters", "list", consuming],
        env={**os.environ, "AMQP_URL": stack.config.amqp_url},
        capture_output=True,
        text=True,
        check=False,
    )
    return [f"{queue}: {line}" for line in listing.stdout.splitlines()]


def effects(stack: Stack, ids: list[str]) -> list[Check]:
    """Each effect once: per service, per request and action; per task; per person."""
    checks = []
    for spec in SERVICES:
        rows = query(
            stack,
            spec.name,
            "SELECT action, count(*), count(DISTINCT request_id) FROM dsr_handled"
            " WHERE request_id = ANY($1::varchar[]) GROUP BY action ORDER BY action",
            ids,
        )
        if not rows:
            continue
        once = all(int(r[1]) == int(r[2]) == len(ids) for r in rows)
        figure = ", ".join(f"{r[0]} {r[1]} for {r[2]} requests" for r in rows)
        checks.append(Check(f"{spec.name}: each effect recorded once", figure, once))
    tasks = query(
        stack,
        "privacy",
        "SELECT count(*), count(*) FILTER (WHERE status = 'done'),"
        " count(DISTINCT (request_id, service, action)), coalesce(sum(attempts), 0)"
        " FROM tasks WHERE request_id = ANY($1::varchar[])",
        ids,
    )[0]
    total, done, distinct, sends = (int(v) for v in tasks)
    checks.append(
        Check(
            "privacy: every task answered once",
            f"{done} of {total} tasks done, {distinct} distinct; commands sent {sends} times"
            f" ({sends - total} sent again, unanswered for a while; each repeat answered from"
            " the first effect)",
            done == total == distinct,
        )
    )
    forgotten = query(
        stack, "privacy", "SELECT count(*), count(DISTINCT subject_key) FROM forgotten"
    )
    count, distinct_people = int(forgotten[0][0]), int(forgotten[0][1])
    checks.append(
        Check(
            "privacy: each erased person forgotten once",
            f"{count} entries, {distinct_people} people",
            count == distinct_people == len(ids),
        )
    )
    return checks


def accounts_left(stack: Stack, prefix: str) -> int:
    rows = query(
        stack, "identity", "SELECT count(*) FROM users WHERE email LIKE $1", f"gen-{prefix}-%"
    )
    return int(rows[0][0])


def main() -> int:
    prefix = f"c{os.getpid()}"
    with bench_stack("proof-chaos", EXCHANGE, ports=PORTS[SUITE]) as stack:
        generate_in(stack, PEOPLE, prefix)
        say(f"{PEOPLE} people generated; filing {REQUESTS} erasures at {RATE}/s")
        emails = [email(prefix, i) for i in range(0, PEOPLE, PEOPLE // REQUESTS)][:REQUESTS]
        filing, events = Filing(), list[str]()
        started = time.monotonic()
        with gateway_client(stack) as dpo:
            login(dpo, "dpo@demo.test")
            blows = threading.Thread(target=chaos, args=(stack, GAP, events))
            blows.start()
            file_all(dpo, emails, filing)
            filed_s = time.monotonic() - started
            blows.join()
        say(f"filed {len(filing.ids)} in {filed_s:.0f} s ({filing.refiled} refiled after a 5xx)")
        ids = sorted(set(filing.ids.values()))
        completed, failed, _ = wait_completed(stack, ids, timeout=300)
        all_done_s = time.monotonic() - started
        say(f"{completed} completed, {failed} failed; all done {all_done_s:.0f} s after the start")
        backlog = wait_drained(stack, timeout=60)
        dead = dead_letters()
        left = accounts_left(stack, prefix)

        # Erased people's ids are gone from their requests: count requests against filings.
        recorded = int(
            query(stack, "privacy", "SELECT count(*) FROM requests WHERE type = 'erasure'")[0][0]
        )
        checks = [
            Check(
                "requests filed through the gateway",
                f"{len(ids)} of {REQUESTS}",
                len(ids) == REQUESTS,
            ),
            Check(
                "one request per person",
                f"{recorded} erasure requests recorded for {len(filing.ids)} people;"
                f" {filing.refiled} filings retried after a 5xx or a dropped connection",
                recorded == len(filing.ids) == REQUESTS,
            ),
            Check(
                "all requests completed",
                f"{completed} completed, {failed} failed, all done {all_done_s:.0f} s after the"
                f" first filing",
                completed == REQUESTS,
            ),
            Check(
                "blows while requests were in flight",
                f"{len(events)} of {len(BLOWS)}",
                len(events) == len(BLOWS),
            ),
            *effects(stack, ids),
            Check(
                "accounts erased exactly",
                f"{PEOPLE - left} of {PEOPLE} generated accounts gone, {left} still there",
                left == PEOPLE - REQUESTS,
            ),
            Check(
                "every outbox drained",
                ", ".join(f"{name} {count}" for name, count in backlog.items()),
                not any(backlog.values()),
            ),
        ]
        explained = [
            line for queue, n in dead.items() if n for line in explain_dead_letters(stack, queue)
        ]
        checks.append(
            Check(
                "dead-letter queues empty or explained",
                f"{sum(dead.values())} messages in {len(dead)} queues",
                not sum(dead.values()) or bool(explained),
            )
        )
        notes = ["Blows, in order:", *[f"- {event}" for event in events]]
        if filing.refused:
            notes += ["Filings refused:", *[f"- {reason}" for reason in filing.refused[:20]]]
        if explained:
            notes += ["Dead-lettered messages:", *[f"- {line}" for line in explained]]
    return report(SUITE, checks, notes)


if __name__ == "__main__":
    sys.exit(main())
