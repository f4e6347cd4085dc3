"""Reliability suite: ``make chaos``.

The whole platform on PostgreSQL and RabbitMQ (ports of its own, see proof/common.py), with
two replicas of every API behind the gateway and two instances of every worker competing on
each queue and relaying in parallel, as ``docker-compose --scale`` runs them. The DPO files
200 erasure requests through the gateway for people of ``make data``'s population (bench/data:
orders, invoices, grants, mandates, tickets, consents... in every service), a batch before each
blow; each request asks every service in turn.
While they are in flight, each API and each worker (one of its two processes) is killed
once with SIGKILL and started again a second later, as compose's restart policy would, and
RabbitMQ itself is stopped and started once.

Then it checks, straight in each service's database and in RabbitMQ:
- all 200 requests completed, one request per person: a filing whose answer was lost is
  sent again with its Idempotency-Key and finds its request;
- no effect happened twice: each service recorded each command's effect once
  (``dsr_handled`` rows = requests; a service with none fails), each task of each request was
  answered once, exactly 200 accounts are gone and every other generated account is still
  there, each erased person is in the forget list once;
- each erasure removed what there was: per service, the rows its reports say it erased, and
  the requests whose report erased rows there are exactly those of the people the population
  gave data there (everyone in identity and subsidies, buyers in orders, ticket writers in
  support);
- every outbox drained (no row left unpublished);
- every dead-letter queue of the stack is empty, or each message in it is a repeat of a
  command whose effect was recorded and answered.

Summary table: proof/results/chaos-<time>.md. Settings: CHAOS_REQUESTS (200), CHAOS_RATE
(requests filed a second, 20), CHAOS_GAP (seconds between blows, 1.5), CHAOS_PEOPLE (people
generated, 1000).

``CHAOS_FAST=1`` (``make test``): the same run and the same checks, smaller: 30 requests for 150
people, one blow on each of privacy's, identity's and orders' API and worker and none on
RabbitMQ (the broker is shared with the rest of ``make test``, whose e2e and integration tests
restart its application themselves), on ports, an exchange and a stack of its own (suite
``chaos-fast``, so it runs beside a full ``make chaos``); table in
proof/results/chaos-fast-<time>.md.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import asyncpg
import httpx

from devstack.stack import ROOT, SERVICES, Process, Stack, wait_for_tcp
from kit.events import Envelope
from kit.privacy.protocol import COMMAND
from support.config import Settings as SupportSettings

sys.path.insert(0, str(ROOT))
from bench.common import bench_stack, login
from bench.data.__main__ import load_into
from bench.data.plan import Plan
from proof.common import (
    PORTS,
    Check,
    broker_queues,
    fetch,
    gateway_client,
    report,
    wait_drained,
)

FAST = os.environ.get("CHAOS_FAST") == "1"
SUITE = "chaos-fast" if FAST else "chaos"
REQUESTS = int(os.environ.get("CHAOS_REQUESTS", "30" if FAST else "200"))
RATE = float(os.environ.get("CHAOS_RATE", "20"))
#: Seconds between two blows.
GAP = float(os.environ.get("CHAOS_GAP", "1" if FAST else "1.5"))
PEOPLE = int(os.environ.get("CHAOS_PEOPLE", "150" if FAST else "1000"))
EXCHANGE = f"{SUITE}.events"
STACK = f"proof-{SUITE}"
#: Twice the processes: half the database connections each, so that the stack stays under
#: PostgreSQL's default 100 (10 APIs x 4 + 10 workers x 2).
SMALLER_POOLS = {"DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "1"}
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
if FAST:
    BLOWS = ["privacy-worker", "identity", "orders-worker", "privacy", "identity-worker", "orders"]


def start_twin_workers(stack: Stack) -> list[str]:
    """A second instance of every worker, as ``--scale <service>-worker=2`` would run: the two
    compete on each queue and both relay the outbox (only the first ones are killed)."""
    names = []
    for spec in SERVICES:
        if spec.worker:
            name = f"{spec.name}-worker-2"
            log = stack.config.var_dir / "logs" / f"{name}.log"
            twin = Process(name, [sys.executable, "-m", spec.worker], stack.service_env(spec), log)
            twin.start()
            stack.processes.append(twin)
            names.append(name)
    return names


def api_alive(stack: Stack, service: str) -> int:
    """Running processes of ``service``'s API (its replicas are ``<service>-2``...)."""
    return sum(
        p.alive
        and (p.name == service or p.name.startswith(f"{service}-"))
        and not p.name.startswith(f"{service}-worker")
        for p in stack.processes
    )


def consumers_per_queue() -> dict[str, int]:
    queues = broker_queues(EXCHANGE, "consumers")
    return {name: int(n) for name, n in queues.items() if not name.endswith(".dead")}


def wait_consumers(count: int, timeout: float = 60) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    found = consumers_per_queue()
    while (not found or min(found.values()) < count) and time.monotonic() < deadline:
        time.sleep(0.5)
        found = consumers_per_queue()
    return found


def say(text: str) -> None:
    print(f"[{SUITE}] {time.strftime('%H:%M:%S')} {text}", flush=True)


def query(stack: Stack, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    return asyncio.run(fetch(stack.config.database_urls[service], sql, *args))


@dataclass
class Filing:
    """What the DPO's side saw while filing the requests."""

    ids: dict[str, str] = field(default_factory=dict)  # email -> request id
    refiled: int = 0  # attempts that got a 5xx or no answer, then were made again
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def file_one(dpo: httpx.Client, address: str, filing: Filing) -> None:
    """File one erasure; a 5xx or a dropped connection (a service was just killed) is tried
    again with the same body, as any client would (an open erasure is found, not doubled)."""
    body = {
        "type": "erasure",
        "email": address,
        "channel": "email",
        "identity_check": "checked by the chaos suite",
        "verify_by_code": False,
    }
    # The same key on every try: a filing whose answer was lost finds its request.
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            response = dpo.post("/api/privacy/requests/on-behalf", json=body, headers=headers)
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


def file_and_strike(
    stack: Stack, dpo: httpx.Client, emails: list[str], filing: Filing
) -> list[tuple[str, int, str]]:
    """Before each blow, a batch of requests is filed (``RATE`` a second) and the blow falls
    once some of them are in progress: every blow meets requests in flight. Returns each blow:
    (process, requests in progress when it fell, what happened)."""
    blows = []
    batches = [emails[i :: len(BLOWS)] for i in range(len(BLOWS))]
    with ThreadPoolExecutor(8) as pool:
        for name, batch in zip(BLOWS, batches, strict=True):
            for address in batch:
                pool.submit(file_one, dpo, address, filing)
                time.sleep(1 / RATE)
            deadline = time.monotonic() + 30
            while (flying := in_flight(stack)) < 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            blows.append((name, flying, blow(stack, name)))
            say(f"{name}: killed with {flying} requests in progress, {blows[-1][2]}")
            time.sleep(GAP)
    return blows


def in_flight(stack: Stack) -> int:
    try:
        rows = query(stack, "privacy", "SELECT count(*) FROM requests WHERE status = 'in_progress'")
        return int(rows[0][0])
    except (OSError, RuntimeError, asyncpg.PostgresError):  # no connection slot: unknown
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


def delete_queues() -> int:
    """Remove this suite's queues left by an earlier run (its databases are gone with it)."""
    mine = broker_queues(EXCHANGE, "messages")
    for name in mine:
        subprocess.run(["rabbitmqctl", "delete_queue", name], check=True, capture_output=True)
    return len(mine)


def dead_letters() -> dict[str, int]:
    """Messages in each dead-letter queue of this stack's exchange."""
    queues = broker_queues(EXCHANGE, "messages")
    return {name: int(n) for name, n in queues.items() if name.endswith(".dead")}


async def _dead_lettered(url: str, queues: list[str]) -> list[tuple[str, Envelope | None]]:
    """Every message of ``queues``, read and left there (unacknowledged, they go back)."""
    found: list[tuple[str, Envelope | None]] = []
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            queue = await channel.declare_queue(name, passive=True)
            while (message := await queue.get(fail=False)) is not None:
                try:
                    found.append((name, Envelope.model_validate_json(message.body)))
                except ValueError:
                    found.append((name, None))
    return found


def explain_dead_letters(stack: Stack, queues: list[str]) -> tuple[list[str], list[str]]:
    """(explained, unexplained): a dead-lettered command is explained when it is a repeat of
    one whose effect the service recorded (``dsr_handled``) and whose task privacy marked
    done; its loss then changes nothing. Anything else is unexplained."""
    explained, unexplained = [], []
    for queue, envelope in asyncio.run(_dead_lettered(stack.config.amqp_url, queues)):
        service = queue.removeprefix(f"{EXCHANGE}.").split(".")[0]
        payload = envelope.payload if envelope is not None else {}
        if envelope is None or envelope.type != COMMAND:
            kind = envelope.type if envelope else "not an envelope"
            unexplained.append(f"{queue}: {kind}")
            continue
        request_id, action = str(payload.get("request_id")), str(payload.get("action"))
        recorded = query(
            stack,
            service,
            "SELECT count(*) FROM dsr_handled WHERE request_id = $1 AND action = $2",
            request_id,
            action,
        )[0][0]
        done = query(
            stack,
            "privacy",
            "SELECT count(*) FROM tasks WHERE request_id = $1 AND service = $2 AND action = $3"
            " AND status = 'done'",
            request_id,
            service,
            action,
        )[0][0]
        line = f"{queue}: {action} of request {request_id[:8]}"
        if (recorded or action == "export") and done:
            explained.append(f"{line}: a repeat; the effect was recorded and answered")
        else:
            unexplained.append(f"{line}: effect recorded {recorded}, task done {done}")
    return explained, unexplained


def effects(stack: Stack, ids: list[str]) -> list[Check]:
    """Each effect once: per service, per request and action; per task; per person."""
    checks = []
    for spec in SERVICES:
        if spec.name == "privacy":  # it files the commands; the others carry them out
            continue
        rows = query(
            stack,
            spec.name,
            "SELECT action, count(*), count(DISTINCT request_id) FROM dsr_handled"
            " WHERE request_id = ANY($1::varchar[]) GROUP BY action ORDER BY action",
            ids,
        )
        if not rows:
            checks.append(Check(f"{spec.name}: each effect recorded once", "no effect", False))
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


def erased_people(plan: Plan) -> list[int]:
    """The people to erase: spread over the population, and among them at least a tenth whose
    tickets support still holds. The population is drawn at random, and about one person in
    six has a ticket support keeps: 30 people spread evenly had none about once in a hundred
    runs (a fresh-clone ``make test`` met it), and support's "rows erased" line then had
    nothing to count."""
    spread = list(range(0, PEOPLE, PEOPLE // REQUESTS))[:REQUESTS]
    kept_days = SupportSettings.model_fields["closed_ticket_retention_days"].default

    def holds_tickets(i: int) -> bool:
        return bool(plan.person(i).tickets_kept(kept_days))

    wanted = max(1, REQUESTS // 10) - sum(1 for i in spread if holds_tickets(i))
    extra = [i for i in range(PEOPLE) if i not in spread and holds_tickets(i)][: max(0, wanted)]
    without = [i for i in reversed(spread) if not holds_tickets(i)][: len(extra)]
    return sorted((set(spread) - set(without)) | set(extra))


def erased_rows(stack: Stack, plan: Plan, filing: Filing) -> list[Check]:
    """Per service: the rows the erasures' reports say were erased, and whether the requests
    that erased rows there are exactly those of the people the population put there."""
    reports = {
        str(r[0]): json.loads(r[1]) if isinstance(r[1], str) else r[1]
        for r in query(
            stack,
            "privacy",
            "SELECT id, report FROM requests WHERE id = ANY($1::varchar[])",
            list(filing.ids.values()),
        )
    }
    people = {plan.email(i): plan.person(i) for i in range(plan.subjects)}
    # What the services' retention jobs purged when the stack started is not there to erase.
    kept_days = SupportSettings.model_fields["closed_ticket_retention_days"].default
    held = {
        address: set(p.services) - ({"support"} if not p.tickets_kept(kept_days) else set())
        for address, p in people.items()
    }
    checks = []
    for spec in SERVICES:
        if spec.name == "privacy":
            continue
        total, tables, erased_for, expected = 0, Counter[str](), set(), set()
        for address, request_id in filing.ids.items():
            if spec.name in held[address]:
                expected.add(request_id)
            answer = (reports.get(request_id) or {}).get(spec.name, {}).get("erase", {})
            rows = 0
            for table in answer.get("tables", []):
                rows += int(table["erased_rows"])
                tables[table["table"]] += int(table["erased_rows"])
            total += rows
            if rows:
                erased_for.add(request_id)
        top = ", ".join(f"{t} {n}" for t, n in tables.most_common(4))
        checks.append(
            Check(
                f"{spec.name}: rows erased",
                f"{total} rows for {len(erased_for)} requests, {len(expected)} of whose people"
                f" it held data on ({top})",
                total > 0 and erased_for == expected,
            )
        )
    return checks


def accounts_left(stack: Stack, plan: Plan) -> int:
    rows = query(
        stack, "identity", "SELECT count(*) FROM users WHERE email LIKE $1", f"{plan.prefix}-%"
    )
    return int(rows[0][0])


def main() -> int:
    if removed := delete_queues():
        say(f"{removed} queues of an earlier run deleted")
    with bench_stack(
        STACK, EXCHANGE, ports=PORTS[SUITE], api_replicas=2, env=SMALLER_POOLS
    ) as stack:
        plan, loaded = load_into(stack, PEOPLE, tenants=1)
        say(f"{PEOPLE} people, {loaded['rows']} rows in every service, in {loaded['seconds']} s")
        twins = start_twin_workers(stack)
        consumers = wait_consumers(2)
        say(f"second workers started; consumers per queue: {sorted(set(consumers.values()))}")
        say(f"filing {REQUESTS} erasures at {RATE}/s")
        emails = [plan.email(i) for i in erased_people(plan)]
        filing = Filing()
        started = time.monotonic()
        with gateway_client(stack) as dpo:
            login(dpo, "dpo@demo.test")
            blows = file_and_strike(stack, dpo, emails, filing)
            filed_s = time.monotonic() - started
        say(f"filed {len(filing.ids)} in {filed_s:.0f} s ({filing.refiled} refiled after a 5xx)")
        ids = sorted(set(filing.ids.values()))
        flying = [count for _, count, _ in blows if count > 0]
        completed, failed, _ = wait_completed(stack, ids, timeout=300)
        all_done_s = time.monotonic() - started
        say(f"{completed} completed, {failed} failed; all done {all_done_s:.0f} s after the start")
        backlog, _ = asyncio.run(wait_drained(stack, within=60))
        dead = dead_letters()
        left = accounts_left(stack, plan)

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
                "two replicas of every API behind the gateway",
                ", ".join(f"{spec.name} {len(stack.config.ports(spec))}" for spec in SERVICES),
                all(api_alive(stack, spec.name) == 2 for spec in SERVICES),
            ),
            Check(
                "two instances of every worker",
                f"{len(twins)} second workers; {len(consumers)} queues with"
                f" {min(consumers.values(), default=0)} to {max(consumers.values(), default=0)}"
                " consumers each",
                len(twins) == len([s for s in SERVICES if s.worker])
                and min(consumers.values(), default=0) >= 2,
            ),
            Check(
                "blows while requests were in flight",
                f"{len(flying)} of {len(BLOWS)} blows met requests in progress"
                f" ({min(flying, default=0)} to {max(flying, default=0)})",
                len(flying) == len(BLOWS),
            ),
            *effects(stack, ids),
            *erased_rows(stack, plan, filing),
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
        explained, unexplained = explain_dead_letters(stack, [q for q, n in dead.items() if n])
        checks.append(
            Check(
                "dead-letter queues empty or explained",
                f"{sum(dead.values())} messages in {len(dead)} queues; {len(explained)} repeats"
                f" of commands already carried out, {len(unexplained)} unexplained",
                not unexplained,
            )
        )
        notes = ["Blows, in order:"]
        notes += [
            f"- {name}: killed with {n} requests in progress, {what}" for name, n, what in blows
        ]
        if filing.refused:
            notes += ["Filings refused:", *[f"- {reason}" for reason in filing.refused[:20]]]
        if explained or unexplained:
            notes += ["Dead-lettered messages:", *[f"- {line}" for line in unexplained + explained]]
    return report(SUITE, checks, notes)


if __name__ == "__main__":
    sys.exit(main())
