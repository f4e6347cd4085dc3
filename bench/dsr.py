"""Benchmark of data-subject requests (issue 3): ``make bench``.

For 10,000 and 100,000 people (bench/generate.py), with the whole stack running on PostgreSQL
and RabbitMQ: the time from POST to ``completed`` of access and erasure requests, one at a
time (p50/p95, from the requests' own received/completed timestamps, and as the client saw
it), then 1,000 erasures submitted at once: all must complete, none lost; throughput.
Targets: p50 <= 300 ms; at most 1.5 times slower at 100,000 than at 10,000.
Results: bench/results/dsr-*.json.
"""

import asyncio
import os
import random
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from devstack.stack import ROOT

sys.path.insert(0, str(ROOT))
from bench.common import HTTPS_PORT, bench_stack, login, rss_mib, write_result
from bench.generate import email, generate_in

SCALES = [int(n) for n in os.environ.get("BENCH_SUBJECTS", "10000,100000").split(",")]
ONE_AT_A_TIME = int(os.environ.get("BENCH_SEQUENTIAL", "50"))
BURST = int(os.environ.get("BENCH_BURST", "1000"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


def one_at_a_time(dpo: httpx.Client, kind: str, emails: list[str]) -> dict[str, Any]:
    server, client = [], []
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
    return {
        "count": len(emails),
        "server_p50_ms": percentile(server, 50),
        "server_p95_ms": percentile(server, 95),
        "client_p50_ms": percentile(client, 50),
        "client_p95_ms": percentile(client, 95),
    }


async def burst_state(url: str, ids: list[str]) -> tuple[int, int, float | None]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
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
    deadline = time.monotonic() + 600
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


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def run_scale(subjects: int) -> dict[str, Any]:
    with bench_stack(f"bench-dsr-{subjects}", f"bench{subjects}.events") as stack:
        prefix = f"b{subjects}"
        started = time.perf_counter()
        generate_in(stack, subjects, prefix)
        generated_s = round(time.perf_counter() - started, 1)
        say(f"{subjects} people generated in {generated_s} s")
        picks = random.Random(subjects).sample(range(subjects), 2 * ONE_AT_A_TIME + BURST)
        emails = [email(prefix, i) for i in picks]
        context = ssl.create_default_context(
            cafile=str(stack.config.var_dir / "tls" / "gateway.crt")
        )
        with httpx.Client(
            base_url=f"https://localhost:{HTTPS_PORT}", verify=context, timeout=30
        ) as dpo:
            login(dpo, "dpo@demo.test")
            access = one_at_a_time(dpo, "access", emails[:ONE_AT_A_TIME])
            say(f"access one at a time: {access}")
            erasure = one_at_a_time(dpo, "erasure", emails[ONE_AT_A_TIME : 2 * ONE_AT_A_TIME])
            say(f"erasure one at a time: {erasure}")
            many = burst(dpo, emails[2 * ONE_AT_A_TIME :], stack.config.database_urls["privacy"])
            say(f"burst: {many}")
        memory = rss_mib([p.popen.pid for p in stack.processes if p.popen and p.name != "gateway"])
    return {
        "subjects": subjects,
        "generated_in_s": generated_s,
        "access": access,
        "erasure": erasure,
        "burst_of_erasures": many,
        "services_rss_mib": memory,
    }


def main() -> None:
    runs = [run_scale(n) for n in SCALES]
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "runs": runs,
        "targets": {"p50_ms": 300, "slowdown_at_10x": 1.5, "burst": "all complete, none lost"},
    }
    if len(runs) >= 2:
        for kind in ("access", "erasure"):
            first, last = runs[0][kind]["server_p50_ms"], runs[-1][kind]["server_p50_ms"]
            result[f"{kind}_p50_slowdown"] = round(last / first, 2) if first else None
    path = write_result("dsr", result)
    header = f"{'p50 ms':>8}{'p95 ms':>8}{'client p50':>12}{'client p95':>12}"
    print(f"\n{'subjects':>9} {'kind':<8}{header}")
    for run in runs:
        for kind in ("access", "erasure"):
            r = run[kind]
            print(
                f"{run['subjects']:>9} {kind:<8}{r['server_p50_ms']:>8}{r['server_p95_ms']:>8}"
                f"{r['client_p50_ms']:>12}{r['client_p95_ms']:>12}"
            )
    for run in runs:
        b = run["burst_of_erasures"]
        print(
            f"{run['subjects']:>9} {b['submitted']} erasures at once: {b['completed']} completed, "
            f"{b['lost']} lost, {b['erasures_per_s']}/s, "
            f"all done after {b['all_completed_after_s']} s; "
            f"services RSS {run['services_rss_mib']} MiB"
        )
    for kind in ("access", "erasure"):
        if f"{kind}_p50_slowdown" in result:
            slowdown = result[f"{kind}_p50_slowdown"]
            print(f"{kind} p50 at {SCALES[-1]} / at {SCALES[0]}: {slowdown} (target <= 1.5)")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
