"""Benchmark of data-subject requests on realistic data (issue 16 part 2): ``make bench``.

For 10,000 and 100,000 people loaded by ``make data``'s generator (``bench/data``: three years
of orders, invoices, grants, mandates, bookings, tickets, consents, logins... in every
service), with the whole stack running on PostgreSQL and RabbitMQ:

- access and erasure requests one at a time, each on a person whom all five services hold
  data on (orders, tickets, a profile, the account, the data map): p50/p95 from POST to
  ``completed`` as the server records it (the request's received/completed timestamps) and as
  the client sees it (polling), with the rows each service exported or erased per request;
- then 1,000 erasures filed at once: all must complete, none lost; throughput.

Targets: p50 <= 250 ms for access and for erasure; at most 1.3 times slower at 100,000 than
at 10,000. Also reported: the time the data took to load, the databases' size on disk and the
services' memory. ``BENCH_SUBJECTS=1000000`` runs one million people (not in CI).
Results: ``bench/results/dsr-latest.json`` and ``dsr-latest.png`` (time against people); a
run at other sizes writes ``dsr-<sizes>-latest`` (``BENCH_SUBJECTS=1000000``: ``dsr-1m``).
"""

import asyncio
import json
import os
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from statistics import mean
from typing import Any

import asyncpg
import httpx

from devstack.stack import ROOT, Stack

sys.path.insert(0, str(ROOT))
from bench.charts import series_chart
from bench.common import HTTPS_PORT, PASSWORD, bench_stack, login, rss_mib, write_result
from bench.data.__main__ import load_into
from bench.data.plan import Person, Plan

DEFAULT_SCALES = [10_000, 100_000]
SCALES = [int(n) for n in os.environ.get("BENCH_SUBJECTS", "").split(",") if n] or DEFAULT_SCALES
ONE_AT_A_TIME = int(os.environ.get("BENCH_SEQUENTIAL", "50"))
BURST = int(os.environ.get("BENCH_BURST", "1000"))
TARGET_P50_MS = 250
TARGET_SLOWDOWN = 1.3


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def pg(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql")


async def _per_service(
    privacy_db: str, request_ids: list[str]
) -> tuple[dict[str, list[int]], dict[str, list[float]]]:
    """For each request, the rows each service exported or erased (its task's answer), and
    where the time went: each task from its command to its answer (``service action``,
    relay, queue, handling and the answer's way back). The last answer's transaction also
    completes the request."""
    conn = await asyncpg.connect(pg(privacy_db))
    try:
        rows = await conn.fetch(
            "SELECT t.request_id, t.service, t.action, t.result,"
            " extract(epoch FROM t.answered_at - t.sent_at) AS took"
            " FROM tasks t WHERE t.request_id = ANY($1::varchar[])",
            request_ids,
        )
    finally:
        await conn.close()
    counts: dict[str, dict[str, int]] = {rid: {} for rid in request_ids}
    steps: dict[str, list[float]] = {}
    for row in rows:
        steps.setdefault(f"{row['service']} {row['action']}", []).append(float(row["took"]) * 1000)
        if row["action"] not in ("export", "erase"):
            continue
        result = json.loads(row["result"]) if isinstance(row["result"], str) else row["result"]
        tables = (result or {}).get("tables", {})
        if isinstance(tables, dict):  # an export: {table: rows}
            total = sum(int(n) for n in tables.values())
        else:  # an erasure: [{table, erased_rows, ...}]
            total = sum(int(t.get("erased_rows", 0)) for t in tables)
        counts[row["request_id"]][row["service"]] = total
    per_service: dict[str, list[int]] = {}
    for by_service in counts.values():
        for service, total in by_service.items():
            per_service.setdefault(service, []).append(total)
    return per_service, steps


def one_at_a_time(
    dpo: httpx.Client, kind: str, emails: list[str], privacy_db: str
) -> dict[str, Any]:
    server, client, ids = [], [], []
    for address in emails:
        started = time.perf_counter()
        body = {
            "type": kind,
            "email": address,
            "channel": "email",
            "identity_check": "bench run",
            "verify_by_code": False,
        }
        filed = dpo.post("/api/privacy/requests/on-behalf", json=body)
        assert filed.status_code == 202, filed.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = dpo.get(f"/api/privacy/requests/{filed.json()['id']}").json()
            if state["status"] != "in_progress":
                break
            time.sleep(0.005)
        assert state["status"] == "completed", state
        client.append((time.perf_counter() - started) * 1000)
        received = datetime.fromisoformat(state["received_at"])
        server.append(
            (datetime.fromisoformat(state["completed_at"]) - received).total_seconds() * 1000
        )
        ids.append(state["id"])
    rows, steps = asyncio.run(_per_service(privacy_db, ids))
    return {
        "count": len(emails),
        "server_p50_ms": percentile(server, 50),
        "server_p95_ms": percentile(server, 95),
        "client_p50_ms": percentile(client, 50),
        "client_p95_ms": percentile(client, 95),
        "rows_per_request": {
            service: {"mean": round(mean(n), 1), "min": min(n), "max": max(n)}
            for service, n in sorted(rows.items())
        },
        "step_p50_ms": {step: percentile(ms, 50) for step, ms in sorted(steps.items())},
    }


async def burst_state(url: str, ids: list[str]) -> tuple[int, int, float | None]:
    conn = await asyncpg.connect(pg(url))
    try:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'completed') AS done, count(*) AS total,"
            " extract(epoch FROM max(completed_at) - min(received_at)) AS span"
            " FROM requests WHERE id = ANY($1::varchar[])",
            ids,
        )
        return int(row["done"]), int(row["total"]), float(row["span"]) if row["span"] else None
    finally:
        await conn.close()


def burst(dpo: httpx.Client, emails: list[str], privacy_db: str) -> dict[str, Any]:
    def submit(address: str) -> tuple[int, str]:
        body = {
            "type": "erasure",
            "email": address,
            "channel": "email",
            "identity_check": "bench",
            "verify_by_code": False,
        }
        response = dpo.post("/api/privacy/requests/on-behalf", json=body)
        return response.status_code, str(response.json().get("id", ""))

    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(submit, emails))
    statuses = [status for status, _ in answers]
    ids = [request_id for status, request_id in answers if status == 202]
    submitted = time.perf_counter() - started
    deadline = time.monotonic() + 900
    done, total, span = asyncio.run(burst_state(privacy_db, ids))
    while done < len(emails) and time.monotonic() < deadline:
        time.sleep(0.5)
        done, total, span = asyncio.run(burst_state(privacy_db, ids))
    return {
        "submitted": len(emails),
        "accepted": statuses.count(202),
        "recorded": total,
        "completed": done,
        "lost": len(emails) - done,
        "submission_s": round(submitted, 1),
        "all_completed_after_s": round(span or 0, 1),
        "erasures_per_s": round(done / span, 1) if span else 0,
    }


def pick(plan: Plan) -> tuple[list[str], list[str]]:
    """People of the demo tenant (whose DPO files the requests): first those every service
    holds data on (orders and tickets; identity, subsidies and privacy hold data on
    everyone), for the requests one at a time; then any, for the burst."""
    demo = range(0, plan.subjects, plan.tenants)
    full: list[Person] = []
    others: list[Person] = []
    for i in demo:
        person = plan.person(i)
        if len(full) < 2 * ONE_AT_A_TIME and person.orders and person.tickets:
            full.append(person)
        else:
            others.append(person)
    if len(full) < 2 * ONE_AT_A_TIME or len(others) < BURST:
        raise SystemExit(
            f"too few people in the demo tenant for {2 * ONE_AT_A_TIME} requests one at a time"
            f" and a burst of {BURST}: load more people or fewer tenants"
        )
    return [p.email for p in full], [p.email for p in others[:BURST]]


async def _disk_mib(stack: Stack) -> dict[str, float]:
    sizes = {}
    for service, url in stack.config.database_urls.items():
        conn = await asyncpg.connect(pg(url))
        try:
            size = await conn.fetchval("SELECT pg_database_size(current_database())")
        finally:
            await conn.close()
        sizes[service] = round(size / 2**20, 1)
    return sizes


def run_scale(subjects: int) -> dict[str, Any]:
    with bench_stack(f"bench-dsr-{subjects}", f"bench{subjects}.events") as stack:
        # At most 2,000 people a tenant, and the demo tenant large enough for the picks.
        tenants = max(1, min(subjects // 2000, subjects // (4 * ONE_AT_A_TIME + BURST + 200)))
        plan, loaded = load_into(stack, subjects, tenants=tenants, password=PASSWORD)
        say(f"{subjects} people ({loaded['rows']:,} rows) loaded in {loaded['seconds']} s")
        full, anyone = pick(plan)
        privacy_db = stack.config.database_urls["privacy"]
        context = ssl.create_default_context(
            cafile=str(stack.config.var_dir / "tls" / "gateway.crt")
        )
        with httpx.Client(
            base_url=f"https://localhost:{HTTPS_PORT}", verify=context, timeout=30
        ) as dpo:
            login(dpo, "dpo@demo.test")
            access = one_at_a_time(dpo, "access", full[:ONE_AT_A_TIME], privacy_db)
            say(f"access one at a time: {access}")
            erasure = one_at_a_time(dpo, "erasure", full[ONE_AT_A_TIME:], privacy_db)
            say(f"erasure one at a time: {erasure}")
            many = burst(dpo, anyone, privacy_db)
            say(f"burst: {many}")
        memory = rss_mib([p.popen.pid for p in stack.processes if p.popen and p.name != "gateway"])
        disk = asyncio.run(_disk_mib(stack))
    return {
        "subjects": subjects,
        "tenants": plan.tenants,
        "loaded": {k: loaded[k] for k in ("rows", "seconds")}
        | {"rows_per_service": {s: r["rows"] for s, r in loaded["services"].items()}},
        "access": access,
        "erasure": erasure,
        "burst_of_erasures": many,
        "services_rss_mib": memory,
        "databases_mib": disk,
    }


def print_table(result: dict[str, Any]) -> None:
    runs = result["runs"]
    header = f"{'p50 ms':>8}{'p95 ms':>8}{'client p50':>12}{'client p95':>12}  rows per request"
    print(f"\n{'subjects':>9} {'kind':<8}{header}")
    for run in runs:
        for kind in ("access", "erasure"):
            r = run[kind]
            rows = ", ".join(f"{s} {v['mean']:g}" for s, v in r["rows_per_request"].items())
            print(
                f"{run['subjects']:>9} {kind:<8}{r['server_p50_ms']:>8}{r['server_p95_ms']:>8}"
                f"{r['client_p50_ms']:>12}{r['client_p95_ms']:>12}  {rows}"
            )
    for run in runs:
        for kind in ("access", "erasure"):
            steps = run[kind].get("step_p50_ms", {})
            where = ", ".join(f"{step} {ms:g}" for step, ms in steps.items())
            print(f"{run['subjects']:>9} {kind:<8}p50 per step (ms): {where}")
    for run in runs:
        b = run["burst_of_erasures"]
        print(
            f"{run['subjects']:>9} {b['submitted']} erasures at once: {b['completed']} completed, "
            f"{b['lost']} lost, {b['erasures_per_s']}/s, "
            f"all done after {b['all_completed_after_s']} s"
        )
        print(
            f"{run['subjects']:>9} loaded {run['loaded']['rows']:,} rows in "
            f"{run['loaded']['seconds']} s; databases {sum(run['databases_mib'].values()):.0f} MiB"
            f" on disk; services RSS {run['services_rss_mib']} MiB"
        )
    for kind in ("access", "erasure"):
        if f"{kind}_p50_slowdown" in result:
            slowdown = result[f"{kind}_p50_slowdown"]
            print(
                f"{kind} p50 at {runs[-1]['subjects']} / at {runs[0]['subjects']}: {slowdown}"
                f" (target <= {TARGET_SLOWDOWN})"
            )


def result_kind(scales: list[int]) -> str:
    """``dsr`` for the default sizes, else ``dsr-<sizes>`` (``dsr-1m``, ``dsr-10k``): a run
    asked for at other sizes keeps its own latest file, beside the one the docs quote."""
    if scales == DEFAULT_SCALES:
        return "dsr"

    def short(n: int) -> str:
        for unit, size in (("m", 1_000_000), ("k", 1_000)):
            if n >= size and n % size == 0:
                return f"{n // size}{unit}"
        return str(n)

    return "dsr-" + "-".join(short(n) for n in scales)


def main() -> None:
    kind = result_kind(SCALES)
    runs: list[dict[str, Any]] = []
    for n in SCALES:  # the result is written after each scale: a long run keeps what it did
        runs.append(run_scale(n))
        write_result(kind, summary(runs))
    result = summary(runs)
    path = write_result(kind, result)
    chart = series_chart(
        kind,
        "Data-subject requests on generated data: time to complete (server, ms)",
        "people in the platform",
        "ms",
        {
            f"{kind} {p}": [(run["subjects"], run[kind][f"server_{p}_ms"]) for run in runs]
            for kind in ("access", "erasure")
            for p in ("p50", "p95")
        },
        log_x=True,
    )
    print_table(result)
    print(f"written to {path} and {chart.relative_to(ROOT)}")


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "runs": runs,
        "targets": {
            "p50_ms": TARGET_P50_MS,
            "slowdown_at_10x": TARGET_SLOWDOWN,
            "burst": "all complete, none lost",
        },
    }
    if len(runs) >= 2:
        for kind in ("access", "erasure"):
            first, last = runs[0][kind]["server_p50_ms"], runs[-1][kind]["server_p50_ms"]
            result[f"{kind}_p50_slowdown"] = round(last / first, 2) if first else None
    return result


if __name__ == "__main__":
    main()
