"""Benchmark of the employee import (ID4) through the gateway: ``python -m bench.import_users``.

The whole stack on PostgreSQL and RabbitMQ (Nginx, every service and worker). The tenant admin
``admin@demo.test`` uploads a CSV of ``BENCH_IMPORT_LINES`` new employees (10,000 by default)
to ``POST /api/users/import``, then the same file again (idempotent: all unchanged). Target:
each upload answers in under 30 s. Also measured: how long until every invitation mail has
reached the local SMTP sink (through the outbox, RabbitMQ and identity's worker).
Results: bench/results/import-latest.json and import-latest.png (the invitation mails in the
sink against the seconds since the first upload began, the uploads' times in its title), and
a table on the console.
"""

import os
import secrets
import ssl
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from devstack.stack import ROOT

sys.path.insert(0, str(ROOT))
from bench.charts import series_chart
from bench.common import HTTPS_PORT, bench_stack, login, machine_load, rss_mib, write_result

LINES = int(os.environ.get("BENCH_IMPORT_LINES", "10000"))
MAIL_WAIT = float(os.environ.get("BENCH_IMPORT_MAIL_SECONDS", "600"))
TARGET_S = 30.0
BASE = f"https://localhost:{HTTPS_PORT}"


def csv_file(lines: int, run: str) -> bytes:
    """A company's list as a spreadsheet exports it: UTF-8 with BOM, accented names. ``run``
    tags the addresses: the sink's folder and RabbitMQ's durable queues outlive a run."""
    rows = ["email,first_name,last_name"]
    rows += [f"bench-import-{run}-{i:05d}@demo.test,Prénom{i},Nom-Élève{i}" for i in range(lines)]
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()


def upload(client: httpx.Client, data: bytes) -> dict[str, Any]:
    started = time.perf_counter()
    response = client.post(
        "/api/users/import", content=data, headers={"Content-Type": "text/csv"}, timeout=300
    )
    seconds = round(time.perf_counter() - started, 2)
    assert response.status_code == 200, response.text[:500]
    report = response.json()
    assert not report["errors"], report["errors"][:5]
    return {"seconds": seconds, **{k: report[k] for k in ("created", "updated", "unchanged")}}


def invitations(mail_dir: Path, run: str, since: float, expected: int) -> dict[str, Any]:
    """Wait (at most ``MAIL_WAIT``) for the ``expected`` invitation mails of this run in the
    SMTP sink; with how many had arrived when (seconds since ``since``), about every second."""
    deadline = time.monotonic() + MAIL_WAIT
    tag, looked, ours = f"bench-import-{run}-".encode(), set[str](), set[str]()
    timeline: list[tuple[float, int]] = []
    while len(ours) < expected and time.monotonic() < deadline:
        for path in mail_dir.glob("*.eml"):
            if path.name not in looked:
                looked.add(path.name)
                if tag in path.read_bytes()[:2000]:
                    ours.add(path.name)
        elapsed = round(time.perf_counter() - since, 1)
        if not timeline or elapsed - timeline[-1][0] >= 1 or len(ours) == expected:
            timeline.append((elapsed, len(ours)))
        time.sleep(0.5)
    return {
        "delivered": len(ours),
        "seconds": round(time.perf_counter() - since, 1),
        "timeline": timeline,
    }


def main() -> None:
    busy = machine_load()
    run = secrets.token_hex(3)
    data = csv_file(LINES, run)
    with bench_stack("bench-import", "bench-import.events") as stack:
        context = ssl.create_default_context(
            cafile=str(stack.config.var_dir / "tls" / "gateway.crt")
        )
        with httpx.Client(base_url=BASE, verify=context, timeout=30) as admin:
            login(admin, "admin@demo.test")
            started = time.perf_counter()
            first = upload(admin, data)
            print(f"first upload: {first}")
            assert first["created"] == LINES, first
            again = upload(admin, data)
            print(f"same file again: {again}")
            assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, LINES)
            mails = invitations(stack.config.var_dir / "mail", run, started, LINES)
            print(f"invitations: {mails['delivered']} after {mails['seconds']} s")
        memory = rss_mib([p.popen.pid for p in stack.processes if p.popen and p.name != "gateway"])
    runs = {"create": first, "same file again": again}
    met = all(r["seconds"] < TARGET_S for r in runs.values())
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "load_average_1m_before": busy,
        "lines": LINES,
        "file_bytes": len(data),
        "runs": runs,
        "invitation_mails": mails,
        "services_rss_mib": memory,
        "target": {"seconds_per_upload": TARGET_S},
        "target_met": met,
    }
    path = write_result("import", result)
    chart = series_chart(
        "import",
        f"Import of {LINES:,} employees: uploads answered in {first['seconds']} s and "
        f"{again['seconds']} s (same file again); {mails['delivered']:,} invitation mails "
        f"in {mails['seconds']:g} s",
        "seconds since the first upload began",
        "invitation mails in the SMTP sink",
        {"invitation mails": mails["timeline"]},
        point_labels=False,
    )
    print(f"\n{'run':<18}{'seconds':>9}{'created':>9}{'updated':>9}{'unchanged':>11}")
    for name, r in runs.items():
        print(f"{name:<18}{r['seconds']:>9}{r['created']:>9}{r['updated']:>9}{r['unchanged']:>11}")
    print(
        f"{mails['delivered']} of {LINES} invitation mails in the SMTP sink "
        f"{mails['seconds']} s after the first upload began"
    )
    print(f"target < {TARGET_S:g} s per upload of {LINES} lines: {'met' if met else 'NOT met'}")
    print(f"written to {path} and {chart.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
