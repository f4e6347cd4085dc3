"""``make data SUBJECTS=N [TENANTS=T] [PASSWORD=...]``: a realistic population in every service.

    python -m bench.data --subjects 100000 [--tenants 50] [--prefix p1]

N people over T tenants (default N/2,000; the first is ``demo``, the others are created as
``<prefix>-<k>`` with an admin, a DPO and a support agent enrolled in two-factor login), each
with three years of what an employee of a works council accumulates (``bench/data/plan.py``),
written into each service's own database through its own models (``bench/data/<service>.py``),
one process per service, side by side; then each table is vacuumed and analyzed and, on
PostgreSQL, a CHECKPOINT writes it all out, as a client's database would be. The running
platform's databases are those of the local run (``make run``: SQLite under var/db) unless a
service's ``DATABASE_URL`` is set; the benchmarks call ``load`` with their stack's settings
instead.

Prints what it wrote per service and the time it took, and writes 20 of the people (tenant,
email) and the generated tenants' staff to ``var/data-sample.json``. With ``PASSWORD`` (or
``DATA_PASSWORD`` in the environment) every generated account gets that password, so that one
can log in as them (staff with the demo TOTP secret); without it nobody can. Refused in
production and staging, like the demo seed.
"""

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.data.plan import Plan, plan_now
from devstack.stack import ROOT, SERVICES, Stack

CHUNK = 5000
PER_TENANT = 2000
SAMPLE = 20


def say(text: str) -> None:
    print(f"[data] {text}", file=sys.stderr, flush=True)


async def _write_one(service: str, plan: Plan, password: str | None, chunk: int) -> dict[str, Any]:
    """One service's part, in this process (run with that service's settings)."""
    import importlib  # noqa: PLC0415

    from bench.data.bulk import Bulk  # noqa: PLC0415
    from kit.db import Database  # noqa: PLC0415
    from kit.demo import refuse_demo_seeding  # noqa: PLC0415

    config = importlib.import_module(f"{service}.config")
    settings = config.get_settings()
    refuse_demo_seeding(settings)
    writer = importlib.import_module(f"bench.data.{service}")
    database = Database(settings.database_url)
    bulk = Bulk(database)
    chunks = [(s, min(s + chunk, plan.subjects)) for s in range(0, plan.subjects, chunk)]
    try:
        await writer.write(plan, bulk, chunks, password)
        await bulk.settle()
    finally:
        await database.dispose()
    return bulk.report()


def load(
    envs: dict[str, dict[str, str]],
    subjects: int,
    *,
    tenants: int | None = None,
    prefix: str | None = None,
    password: str | None = None,
    sample: Path | None = None,
    with_demo: bool = True,
) -> tuple[Plan, dict[str, Any]]:
    """Write the population into every service whose environment ``envs`` gives (one process
    each, in parallel); returns the plan and the figures: each service's rows and time."""
    plan = Plan(
        subjects=subjects,
        tenants=max(1, tenants or subjects // PER_TENANT),
        prefix=prefix or f"g{secrets.token_hex(3)}",
        now=plan_now(),
        with_demo=with_demo,
    )
    started = time.perf_counter()
    say(f"{subjects} people over {plan.tenants} tenants (prefix {plan.prefix}), "
        f"one process per service")  # fmt: skip
    running = {}
    for service, env in envs.items():
        argv = [
            sys.executable, "-m", "bench.data", "--service", service,
            "--subjects", str(subjects), "--tenants", str(plan.tenants),
            "--prefix", plan.prefix, "--now", plan.now.isoformat(),
        ] + ([] if with_demo else ["--no-demo"])  # fmt: skip
        child_env = env | ({"DATA_PASSWORD": password} if password else {})
        child_env.setdefault("PYTHONPATH", str(ROOT))
        running[service] = subprocess.Popen(
            argv, env=child_env, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
    reports: dict[str, Any] = {}
    failed = []
    for service, process in running.items():
        out, _ = process.communicate()
        if process.returncode != 0:
            failed.append(service)
            continue
        reports[service] = json.loads(out.strip().splitlines()[-1])
    if failed:
        raise RuntimeError(f"the data generator failed for {', '.join(failed)} (see above)")
    postgres = any("postgresql" in env.get("DATABASE_URL", "") for env in envs.values())
    checkpointed = checkpoint() if postgres else None
    result = {
        "subjects": subjects,
        "tenants": plan.tenants,
        "prefix": plan.prefix,
        "seconds": round(time.perf_counter() - started, 1),
        "rows": sum(r["total"] for r in reports.values()),
        "checkpoint_seconds": checkpointed,
        "services": reports,
    }
    if sample:
        write_sample(plan, sample, password is not None)
    return plan, result


def checkpoint() -> float | None:
    """A CHECKPOINT once the population is in: the gigabytes just written reach their files
    now, not in the middle of the benchmark that follows (a checkpoint spreads its writes over
    most of ``checkpoint_timeout``, and the first change of each page after it puts the whole
    page in the WAL). It needs a superuser (or pg_checkpoint): as the ``postgres`` system user,
    else as the ``postgres`` role over TCP. Its time in seconds, or None when neither may."""
    started = time.perf_counter()
    attempts = (
        ["runuser", "-u", "postgres", "--", "psql", "-qAtc", "CHECKPOINT"],
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qAtc", "CHECKPOINT"],
    )
    for argv in attempts:
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                timeout=900,
                env=os.environ | {"PGCONNECT_TIMEOUT": "5"},
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            seconds = round(time.perf_counter() - started, 1)
            say(f"CHECKPOINT in {seconds} s")
            return seconds
    say("no CHECKPOINT: neither the postgres system user nor the postgres role may run it")
    return None


def load_into(stack: Stack, subjects: int, **kwargs: Any) -> tuple[Plan, dict[str, Any]]:
    """``load`` into a running ``stack`` of devstack (the benchmarks' and proof suites')."""
    envs = {spec.name: stack.service_env(spec) for spec in SERVICES}
    return load(envs, subjects, **kwargs)


def write_sample(plan: Plan, path: Path, with_password: bool) -> None:
    step = max(1, plan.subjects // SAMPLE)
    picks = sorted({min(k * step + k % plan.tenants, plan.subjects - 1) for k in range(SAMPLE)})
    people = [
        {"tenant": plan.tenant_list[i % plan.tenants].slug, "email": plan.email(i)} for i in picks
    ]
    staff = [
        {"tenant": t.slug, "email": plan.staff_email(t, role), "role": role}
        for t in plan.generated_tenants[:2]
        for role in ("admin", "dpo", "agent")
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "prefix": plan.prefix,
                "subjects": plan.subjects,
                "tenants": [t.slug for t in plan.tenant_list],
                "password": "the one given to make data" if with_password else None,
                "staff_second_step": "the demo TOTP secret (DEMO_TOTP_SECRET)",
                "people": people,
                "staff": staff,
            },
            indent=2,
        )
    )


def print_report(result: dict[str, Any]) -> None:
    for service, report in result["services"].items():
        rows = ", ".join(f"{table} {count:,}" for table, count in report["rows"].items())
        print(
            f"  {service:<10} {report['total']:>11,} rows in {report['seconds']:>6} s "
            f"(vacuum and analyze {report.get('settle_seconds', 0)} s of it): {rows}"
        )
    print(
        f"{result['subjects']:,} people over {result['tenants']} tenants: "
        f"{result['rows']:,} rows in {result['seconds']} s"
    )


def local_envs() -> dict[str, dict[str, str]]:
    """The local run's settings for each service (``make run``), from this environment."""
    if not (ROOT / "var" / "db").is_dir() and "DATABASE_URL" not in os.environ:
        sys.exit("no local platform under var/: run `make run` once first (it seeds the demo)")
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    return {spec.name: env for spec in SERVICES}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.data", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--subjects", type=int, required=True, help="how many people")
    parser.add_argument(
        "--tenants", type=int, help=f"how many tenants (default: people/{PER_TENANT})"
    )
    parser.add_argument("--prefix", help="names this run's people and tenants (default: random)")
    parser.add_argument("--no-demo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--service", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=int, default=CHUNK, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.subjects < 1:
        parser.error("--subjects must be at least 1")
    if args.tenants is not None and not 1 <= args.tenants <= args.subjects:
        parser.error("--tenants must be between 1 and --subjects")
    password = os.environ.get("DATA_PASSWORD") or None
    if args.service:
        now = datetime.fromisoformat(args.now)
        plan = Plan(args.subjects, args.tenants, args.prefix, now, with_demo=not args.no_demo)
        report = asyncio.run(_write_one(args.service, plan, password, args.chunk))
        say(f"{args.service}: {report['total']:,} rows in {report['seconds']} s")
        print(json.dumps(report))
        return
    sample = ROOT / "var" / "data-sample.json"
    _, result = load(
        local_envs(),
        args.subjects,
        tenants=args.tenants,
        prefix=args.prefix,
        password=password,
        sample=sample,
    )
    print_report(result)
    print(f"20 of them (and staff) in {sample.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
