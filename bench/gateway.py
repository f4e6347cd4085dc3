"""Benchmark of the gateway's authentication (issue 2): ``make bench``.

In one run, with the same client (wrk) and the same service instance:
  A. an authenticated request through the gateway      GET /api/auth/me with the session cookie
  B. the same request straight to the service          GET /api/auth/me with an internal token
  C. an unauthenticated route through Nginx            GET /api/auth/tenants/demo
  D. that route straight to the service (to factor out the routes' own work)
and how long a revoked session is still accepted. Target: A costs at most 10 % of C's
throughput; a revoked session is refused within 5 s. Results: bench/results/gateway-*.json.
"""

import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx

from devstack.stack import ROOT

sys.path.insert(0, str(ROOT))
from bench.common import HTTPS_PORT, OFFSET, PASSWORD, bench_stack, write_result

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")


def wrk(url: str, headers: dict[str, str]) -> dict[str, float]:
    argv = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 3)


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
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: make bench installs it (apt-get install wrk)")
    with bench_stack("bench", "bench.events") as stack:
        base = f"https://localhost:{HTTPS_PORT}"
        service = f"http://127.0.0.1:{8101 + OFFSET}"
        cert = stack.config.var_dir / "tls" / "gateway.crt"
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as client:
            login = client.post(
                f"{base}/api/auth/login",
                json={"tenant": "demo", "email": "alice@demo.test", "password": PASSWORD},
            )
            session = login.cookies["__Host-session"]
            internal = httpx.get(
                f"{service}/internal/verify",
                headers={"X-Session-Token": session, "X-Token-Audience": "identity"},
            ).headers["x-internal-token"]
            runs = {
                "A_authenticated_via_gateway": wrk(
                    f"{base}/api/auth/me", {"Cookie": f"__Host-session={session}"}
                ),
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
        "client": f"wrk -t2 -c{CONNECTIONS} -d{DURATION}",
        "runs": runs,
        "auth_cost_percent_of_unauthenticated_throughput": auth_cost,
        "auth_cost_percent_normalised_by_route": auth_cost_same_work,
        "auth_cost_target_percent": 10,
        "revocation": revocation,
        "revocation_target_s": 5,
    }
    path = write_result("gateway", result)
    print(f"\n{'run':<36}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, run in runs.items():
        print(
            f"{name:<36}{run['requests_per_s']:>10.0f}{run['p50_ms']:>10.2f}{run['p99_ms']:>10.2f}{run['non_2xx']:>10.0f}"
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
    print(f"written to {path}")


if __name__ == "__main__":
    main()
