"""Benchmark of the gateway's authentication (issue 2): ``make bench``.

In one run, with the same client (wrk) and the same service instance:
  A. an authenticated request through the gateway      GET /api/auth/me with a session cookie
  B. the same request straight to the service          GET /api/auth/me with an internal token
  C. an unauthenticated route through Nginx            GET /api/auth/tenants/demo
  D. that route straight to the service (to factor out the routes' own work)
and how long a revoked session is still accepted. Target: A costs at most 10 % of C's
throughput; a revoked session is refused within 5 s.

A uses ``BENCH_SESSIONS`` sessions (one per connection by default, never fewer): each wrk
thread sends its requests round its own share of them. The gateway caches a read's session
check for 2 s per session, so with one session A would measure that cache's hits; the cache's
hit rate is measured and reported beside A's figures: 1 - (the session checks identity
answered during A, from its ``/metrics`` counter of ``/internal/verify``) / (A's requests).
Results: bench/results/gateway-latest.json and gateway-latest.png (latency percentiles per
run), and a table on the console.
"""

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from devstack.stack import ROOT

sys.path.insert(0, str(ROOT))
from bench.charts import percentiles_chart
from bench.common import HTTPS_PORT, OFFSET, PASSWORD, bench_stack, machine_load, write_result

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = 2
SESSIONS = max(CONNECTIONS, int(os.environ.get("BENCH_SESSIONS", str(CONNECTIONS))))
PERCENTILES = (50, 90, 95, 99)

#: wrk's script for every run, so that all four pay the same client cost: ``request`` builds
#: each request (with the next of the thread's own sessions, if any), ``done`` prints the
#: percentiles wrk's --latency table lacks (p95) as one JSON line.
WRK_SCRIPT = """
local sessions = {%(sessions)s}
local threads, mine, next_one = 0, {}, 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  for i = 1, #sessions do
    if (i - 1) %% %(threads)d == id then mine[#mine + 1] = sessions[i] end
  end
end
function request()
  if #mine > 0 then
    next_one = next_one %% #mine + 1
    wrk.headers["Cookie"] = "__Host-session=" .. mine[next_one]
  end
  return wrk.format()
end
function done(summary, latency, requests)
  io.write(string.format('BENCH {"requests": %%d%(percentiles)s}\\n', summary.requests%(values)s))
end
"""


def wrk(url: str, headers: dict[str, str], sessions: list[str] | None = None) -> dict[str, float]:
    """One wrk run of ``DURATION`` on ``CONNECTIONS`` connections; with ``sessions``, each
    request carries the next of its thread's share as its session cookie."""
    script = WRK_SCRIPT % {
        "sessions": ", ".join(f'"{s}"' for s in sessions or []),
        "threads": THREADS,
        "percentiles": "".join(f', "p{p}": %.3f' for p in PERCENTILES),
        "values": "".join(f", latency:percentile({p}) / 1000" for p in PERCENTILES),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}", "-s", lua.name]
        for name, value in headers.items():
            argv += ["-H", f"{name}: {value}"]
        out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    summary = json.loads(re.search(r"^BENCH (.*)$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return {
        "requests": summary["requests"],
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        **{f"p{p}_ms": round(summary[f"p{p}"], 2) for p in PERCENTILES},
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def verify_count(service: str) -> float:
    """How many session checks (``/internal/verify``) identity has answered, from its
    Prometheus counter (every status: a refusal is a check too)."""
    text = httpx.get(f"{service}/metrics", timeout=10).text
    pattern = r'^http_request_duration_seconds_count\{[^}]*route="/internal/verify"[^}]*\} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))


def sessions_of(client: httpx.Client, base: str, count: int) -> list[str]:
    """``count`` sessions of alice's, each from a sign-in of its own (a 429 of the gateway's
    login limit is waited out)."""
    sessions: list[str] = []
    credentials = {"tenant": "demo", "email": "alice@demo.test", "password": PASSWORD}
    while len(sessions) < count:
        login = client.post(f"{base}/api/auth/login", json=credentials)
        if login.status_code == 429:
            time.sleep(0.5)
            continue
        assert login.status_code == 200, login.text
        sessions.append(login.cookies["__Host-session"])
        client.cookies.clear()
    return sessions


def revocation_delays(client: httpx.Client, base: str) -> dict[str, float]:
    login = client.post(
        f"{base}/api/auth/login",
        json={"tenant": "demo", "email": "bob@demo.test", "password": PASSWORD},
    )
    cookies, csrf = dict(login.cookies), login.cookies["csrf_token"]
    with httpx.Client(cookies=cookies, verify=client._transport._pool._ssl_context) as thief:  # type: ignore[attr-defined]
        thief.get(f"{base}/api/auth/me")  # cached by the gateway now
        logout = thief.post(f"{base}/api/auth/logout", headers={"X-CSRF-Token": csrf})
        thief.cookies.update(cookies)  # the thief kept a copy
        revoked_at = time.monotonic()
        assert logout.status_code == 204
        write = thief.post(f"{base}/api/auth/logout", headers={"X-CSRF-Token": csrf})
        write_delay = time.monotonic() - revoked_at if write.status_code == 401 else float("nan")
        while thief.get(f"{base}/api/auth/me").status_code == 200:
            time.sleep(0.01)
        read_delay = time.monotonic() - revoked_at
    return {
        "write_refused_after_s": round(write_delay, 3),
        "read_refused_after_s": round(read_delay, 3),
    }


def main() -> None:
    busy = machine_load()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: make bench installs it (apt-get install wrk)")
    with bench_stack("bench", "bench.events") as stack:
        base = f"https://localhost:{HTTPS_PORT}"
        service = f"http://127.0.0.1:{8101 + OFFSET}"
        cert = stack.config.var_dir / "tls" / "gateway.crt"
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as client:
            sessions = sessions_of(client, base, SESSIONS)
            internal = httpx.get(
                f"{service}/internal/verify",
                headers={"X-Session-Token": sessions[0], "X-Token-Audience": "identity"},
            ).headers["x-internal-token"]
            checks_before = verify_count(service)
            authenticated = wrk(f"{base}/api/auth/me", {}, sessions)
            checks = verify_count(service) - checks_before
            cache = {
                "sessions": len(sessions),
                "gateway_requests": authenticated["requests"],
                "identity_session_checks": checks,
                "hit_rate_percent": round(100 * (1 - checks / authenticated["requests"]), 1),
                "measured_by": "identity's /metrics counter of /internal/verify during run A",
            }
            runs = {
                "A_authenticated_via_gateway": authenticated,
                "B_same_request_direct_to_service": wrk(
                    f"{service}/api/auth/me", {"X-Internal-Token": internal}
                ),
                "C_unauthenticated_via_gateway": wrk(f"{base}/api/auth/tenants/demo", {}),
                "D_unauthenticated_direct_to_service": wrk(f"{service}/api/auth/tenants/demo", {}),
            }
            revocation = revocation_delays(client, base)
    failed = {name: run["non_2xx"] for name, run in runs.items() if run["non_2xx"]}
    if failed:
        sys.exit(f"runs with non-2xx answers measure errors, not the gateway: {failed}")
    rate = {name: run["requests_per_s"] for name, run in runs.items()}
    a, b = rate["A_authenticated_via_gateway"], rate["B_same_request_direct_to_service"]
    c, d = rate["C_unauthenticated_via_gateway"], rate["D_unauthenticated_direct_to_service"]
    auth_cost = round(100 * (1 - a / c), 1)
    # The two routes do different work in the service; dividing each gateway figure by the same
    # route's direct figure leaves what the gateway adds, and the difference is the auth check.
    auth_cost_same_work = round(100 * (1 - (a / b) / (c / d)), 1)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "load_average_1m_before": busy,
        "client": f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}",
        "runs": runs,
        "auth_cache_during_A": cache,
        "auth_cost_percent_of_unauthenticated_throughput": auth_cost,
        "auth_cost_percent_normalised_by_route": auth_cost_same_work,
        "auth_cost_target_percent": 10,
        "revocation": revocation,
        "revocation_target_s": 5,
    }
    path = write_result("gateway", result)
    chart = chart_of(runs, cache)
    print(f"\n{'run':<36}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, run in runs.items():
        print(
            f"{name:<36}{run['requests_per_s']:>10.0f}{run['p50_ms']:>10.2f}"
            f"{run['p95_ms']:>10.2f}{run['p99_ms']:>10.2f}{run['non_2xx']:>10.0f}"
        )
    print(
        f"\nA: {cache['sessions']} sessions on {CONNECTIONS} connections; the gateway's "
        f"2-s cache of session checks answered {cache['hit_rate_percent']} % of A's "
        f"{cache['gateway_requests']:.0f} requests (identity checked "
        f"{cache['identity_session_checks']:.0f})"
    )
    verdict = "met" if auth_cost <= 10 else "NOT met"
    same_work = "met" if auth_cost_same_work <= 10 else "NOT met"
    print(
        f"\nauthentication cost: {auth_cost} % of the unauthenticated route's throughput "
        f"(target <= 10 %: {verdict})"
    )
    print(
        f"authentication cost with each route's own work factored out (A/B vs C/D): "
        f"{auth_cost_same_work} % (target <= 10 %: {same_work})"
    )
    print(
        f"revoked session: writes refused after {revocation['write_refused_after_s']} s, "
        f"reads after {revocation['read_refused_after_s']} s (target <= 5 s)"
    )
    print(f"written to {path} and {chart.relative_to(ROOT)}")


def chart_of(runs: dict[str, dict[str, float]], cache: dict[str, Any]) -> Path:
    """Latency percentiles per run, each labelled with its throughput (and A's cache)."""
    labels = {
        "A_authenticated_via_gateway": "A. /api/auth/me via gateway",
        "B_same_request_direct_to_service": "B. same, direct to identity",
        "C_unauthenticated_via_gateway": "C. public route via gateway",
        "D_unauthenticated_direct_to_service": "D. public route, direct",
    }
    data = {}
    for name, run in runs.items():
        label = f"{labels[name]}\n{run['requests_per_s']:.0f} req/s"
        if name == "A_authenticated_via_gateway":
            label += f", cache hits {cache['hit_rate_percent']} %"
        data[label] = {f"p{p}": run[f"p{p}_ms"] for p in PERCENTILES}
    return percentiles_chart(
        "gateway",
        f"Gateway authentication: wrk, {CONNECTIONS} connections, {DURATION} per run "
        f"({cache['sessions']} sessions in A)",
        data,
    )


if __name__ == "__main__":
    main()
