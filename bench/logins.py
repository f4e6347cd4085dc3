"""Benchmark: a workplace behind one address signs in (issue 14): ``make bench``.

The whole stack on PostgreSQL and RabbitMQ with the gateway's production limits. The tenant
admin creates ``BENCH_LOGINS`` (300) employees; then each signs in through the real gateway
from 127.0.0.1, in a browser of its own (its own connection and cookies):
  - rush: all at once, as an office behind one NAT at 9:00:00, the worst case for the
    per-address limit (Nginx's burst);
  - spread: the same people again, evenly over a minute, each sign-in's own latency without
    the rush's queue.
Target: every one gets in (no 429), the rush within a minute. Results: bench/results/
logins-latest.json and logins-latest.png (sign-in latency percentiles of each run, on a log
scale: the rush's queue is seconds, a spread sign-in tens of milliseconds), and a table on the
console; the run fails when the target is missed.
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
from bench.charts import percentiles_chart
from bench.common import (
    HTTPS_PORT,
    PASSWORD,
    bench_stack,
    login,
    machine_load,
    percentile,
    say,
    write_result,
)

EMPLOYEES = int(os.environ.get("BENCH_LOGINS", "300"))
SPREAD_SECONDS = float(os.environ.get("BENCH_LOGINS_SPREAD_SECONDS", "60"))
ADDRESS = "127.0.0.1"
BASE = f"https://localhost:{HTTPS_PORT}"
PREFIX = "bench-office"


async def create_employees(context: ssl.SSLContext) -> list[str]:
    """``EMPLOYEES`` new employees of tenant demo, created by its admin (POST /api/users)."""
    with httpx.Client(base_url=BASE, verify=context, timeout=30) as staff:
        login(staff, "admin@demo.test")
        cookies, csrf = dict(staff.cookies), staff.headers["X-CSRF-Token"]
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(
        base_url=BASE, verify=context, timeout=60, cookies=cookies, headers={"X-CSRF-Token": csrf}
    ) as admin:

        async def create(i: int) -> str:
            email = f"{PREFIX}-{i}@demo.test"
            body = {
                "email": email,
                "first_name": "Office",
                "last_name": f"E{i}",
                "password": PASSWORD,
            }
            async with gate:
                created = await admin.post("/api/users", json=body)
            assert created.status_code == 201, created.text
            return email

        return list(await asyncio.gather(*(create(i) for i in range(EMPLOYEES))))


async def sign_in(context: ssl.SSLContext, email: str) -> tuple[int, float]:
    """One person's sign-in in a browser of their own, from ``ADDRESS``: status and ms."""
    transport = httpx.AsyncHTTPTransport(local_address=ADDRESS, verify=context)
    async with httpx.AsyncClient(base_url=BASE, transport=transport, timeout=120) as browser:
        started = time.perf_counter()
        response = await browser.post(
            "/api/auth/login", json={"tenant": "demo", "email": email, "password": PASSWORD}
        )
        took = (time.perf_counter() - started) * 1000
        if response.status_code == 200 and "__Host-session" not in browser.cookies:
            return 0, took  # a 200 without a session is not a sign-in
        return response.status_code, took


async def run(context: ssl.SSLContext, emails: list[str], spread: float) -> dict[str, Any]:
    """Everyone signs in, the n-th starting ``spread * n / len(emails)`` seconds in."""
    start = time.perf_counter()

    async def one(i: int, email: str) -> tuple[int, float]:
        await asyncio.sleep(spread * i / len(emails))
        return await sign_in(context, email)

    results = await asyncio.gather(*(one(i, e) for i, e in enumerate(emails)))
    elapsed = time.perf_counter() - start
    statuses: dict[str, int] = {}
    for status, _ms in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = [ms for _status, ms in results]
    return {
        "employees": len(emails),
        "started_over_s": spread,
        "signed_in": statuses.get("200", 0),
        "refused_429": statuses.get("429", 0),
        "statuses": dict(sorted(statuses.items())),
        "all_done_after_s": round(elapsed, 1),
        "p50_ms": percentile(latencies, 50),
        "p90_ms": percentile(latencies, 90),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": round(max(latencies), 1),
    }


async def scenario(context: ssl.SSLContext) -> dict[str, dict[str, Any]]:
    emails = await create_employees(context)
    say(f"{len(emails)} employees created")
    rush = await run(context, emails, 0.0)
    say(f"rush: {rush}")
    # At once after the rush: the per-address bucket is still half full.
    spread = await run(context, emails, SPREAD_SECONDS)
    say(f"spread: {spread}")
    return {"rush": rush, "spread": spread}


def main() -> None:
    busy = machine_load()
    with bench_stack("bench-logins", "bench-logins.events") as stack:
        context = ssl.create_default_context(
            cafile=str(stack.config.var_dir / "tls" / "gateway.crt")
        )
        limit = {"rate": stack.config.login_rate, "burst": stack.config.login_burst}
        runs = asyncio.run(scenario(context))
    rush = runs["rush"]
    met = all(r["signed_in"] == EMPLOYEES for r in runs.values()) and (
        rush["all_done_after_s"] <= 60
    )
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "load_average_1m_before": busy,
        "from_address": ADDRESS,
        "gateway_login_limit": limit,
        "runs": runs,
        "target": f"all {EMPLOYEES} signed in, the rush within 60 s",
        "target_met": met,
    }
    path = write_result("logins", result)
    how = {"rush": "at once", "spread": f"over {SPREAD_SECONDS:g} s"}
    chart = percentiles_chart(
        "logins",
        f"{EMPLOYEES} sign-ins from one address through the gateway (production limits)",
        {
            f"{name}: {r['employees']} {how[name]}"
            f"\n{r['signed_in']} signed in, {r['refused_429']} refused (429), "
            f"{r['employees'] - r['signed_in'] - r['refused_429']} failed, all done after "
            f"{r['all_done_after_s']} s": {
                p: r[f"{p}_ms"] for p in ("p50", "p90", "p95", "p99", "max")
            }
            for name, r in runs.items()
        },
        log_scale=True,
    )
    print(
        f"\n{'run':<8}{'signed in':>11}{'429':>6}{'done s':>8}{'p50 ms':>9}{'p90 ms':>9}"
        f"{'p99 ms':>9}{'max ms':>9}"
    )
    for name, r in runs.items():
        print(
            f"{name:<8}{r['signed_in']:>7}/{r['employees']:<3}{r['refused_429']:>6}"
            f"{r['all_done_after_s']:>8}{r['p50_ms']:>9}{r['p90_ms']:>9}{r['p99_ms']:>9}"
            f"{r['max_ms']:>9}"
        )
    print(
        f"target: all {EMPLOYEES} from {ADDRESS} signed in, the rush within a minute: "
        + ("met" if met else "NOT met")
    )
    print(f"written to {path} and {chart.relative_to(ROOT)}")
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
