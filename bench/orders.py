"""Benchmark of order placement through the gateway (issue 4): ``make bench``.

The whole stack on PostgreSQL and RabbitMQ (Nginx, every service and worker). 50 employees,
each with their own session, place orders (``POST /api/orders``, one ticket) through the
gateway for ``BENCH_ORDERS_SECONDS``:
  - at a person's pace: each employee waits ``BENCH_THINK_SECONDS`` between two orders (one
    run per value, default 1 s then 2 s: 50 then 25 orders a second in all); the latency
    target applies here: p99 under 100 ms;
  - saturation: no pause at all (every employee orders again at once), to find the capacity.
Results: bench/results/orders-*.json, and a table on the console.
"""

import asyncio
import os
import ssl
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from devstack.stack import ROOT

sys.path.insert(0, str(ROOT))
from bench.common import HTTPS_PORT, bench_stack, login, new_employees, rss_mib, write_result
from bench.dsr import percentile, say

EMPLOYEES = int(os.environ.get("BENCH_EMPLOYEES", "50"))
SECONDS = float(os.environ.get("BENCH_ORDERS_SECONDS", "20"))
THINKS = [float(t) for t in os.environ.get("BENCH_THINK_SECONDS", "1.0,2.0").split(",")]
WARM_UP = 3.0
BASE = f"https://localhost:{HTTPS_PORT}"


async def employee_sessions(context: ssl.SSLContext) -> list[httpx.AsyncClient]:
    """``EMPLOYEES`` new employees, created by the tenant admin, each logged in."""
    limits = httpx.Limits(max_connections=2)
    with httpx.Client(base_url=BASE, verify=context, timeout=30) as staff:
        login(staff, "admin@demo.test")
        admin = httpx.AsyncClient(
            base_url=BASE,
            verify=context,
            timeout=30,
            cookies=dict(staff.cookies),
            headers={"X-CSRF-Token": staff.headers["X-CSRF-Token"]},
        )
    try:
        return await new_employees(
            admin,
            lambda: httpx.AsyncClient(base_url=BASE, verify=context, timeout=30, limits=limits),
            EMPLOYEES,
            "bench-orders",
            parallel=1,
        )
    finally:
        await admin.aclose()


async def run(clients: list[httpx.AsyncClient], offer_id: str, think: float) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    body = {"items": [{"offer_id": offer_id, "quantity": 1}]}
    start = time.perf_counter()
    measure_from, stop_at = start + WARM_UP, start + WARM_UP + SECONDS

    async def one(client: httpx.AsyncClient, index: int) -> None:
        # Employees start spread over the first pause, as people do, not all on the same tick.
        await asyncio.sleep(think * index / len(clients))
        while (now := time.perf_counter()) < stop_at:
            response = await client.post("/api/orders", json=body)
            took = time.perf_counter() - now
            if now >= measure_from:
                latencies.append(took * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if think:
                await asyncio.sleep(max(0.0, think - took))

    await asyncio.gather(*(one(c, i) for i, c in enumerate(clients)))
    placed = statuses.get(201, 0)
    return {
        "employees": len(clients),
        "think_s": think,
        "seconds": SECONDS,
        "orders_placed": placed,
        "orders_per_s": round(placed / SECONDS, 1),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": round(max(latencies), 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def scenario(context: ssl.SSLContext) -> list[tuple[str, dict[str, Any]]]:
    clients = await employee_sessions(context)
    try:
        offers = (await clients[0].get("/api/offers")).json()
        ticket = next(o for o in offers if o["kind"] == "ticket" and o["stock"] is None)
        runs = []
        for think in [*THINKS, 0.0]:
            name = f"pause {think:g} s" if think else "saturation"
            result = await run(clients, ticket["id"], think)
            say(f"{name}: {result}")
            runs.append((name, result))
        return runs
    finally:
        for client in clients:
            await client.aclose()


def main() -> None:
    with bench_stack("bench-orders", "bench-orders.events") as stack:
        context = ssl.create_default_context(
            cafile=str(stack.config.var_dir / "tls" / "gateway.crt")
        )
        runs = asyncio.run(scenario(context))
        memory = rss_mib([p.popen.pid for p in stack.processes if p.popen and p.name != "gateway"])
    paced = [r for name, r in runs if name != "saturation"]
    met = [r["think_s"] for r in paced if r["p99_ms"] < 100 and set(r["statuses"]) == {"201"}]
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "runs": dict(runs),
        "services_rss_mib": memory,
        "target": {"p99_ms": 100, "applies_to": "runs at a person's pace"},
        "target_met_at_pause_s": met,
    }
    path = write_result("orders", result)
    print(f"\n{'run':<14}{'orders/s':>10}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}  statuses")
    for name, r in runs:
        print(
            f"{name:<14}{r['orders_per_s']:>10}{r['p50_ms']:>8}{r['p95_ms']:>8}{r['p99_ms']:>8}"
            f"  {r['statuses']}"
        )
    print(
        f"target p99 < 100 ms with {EMPLOYEES} employees: "
        + (f"met with a pause of {', '.join(f'{t:g}' for t in met)} s" if met else "NOT met")
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
