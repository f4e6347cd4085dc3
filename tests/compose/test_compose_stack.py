"""The compose deployment, built and started for real (`make compose-test`; `make test` runs it
last). Plain `pytest` skips this module: COMPOSE_TEST=1 runs it.

Every image is built (stand-ins of the registries' images: tests/compose/stack.py), the stack
comes up with docker-compose.yml and the test's override (staging, fresh secrets), and every
container reports healthy. Then, through the published gateway port only: a staff member signs
in with their second step, an employee pays an order through the sandbox, an access request's
archive holds the person's data from every service, the backup job runs once, an erasure
completes, a restore of that backup erases the person again, an API container killed with
SIGKILL is brought back by its restart policy while requests are being filed and none is lost.
Before those: the containers' hardening and versions, the broker's definitions on RabbitMQ 4,
and no port but the gateway's published (nor answering from the host). The stack is removed
with its volumes at the end. Each step prints its time, and a table of them closes the run.

Settings: COMPOSE_TEST_HTTPS_PORT / COMPOSE_TEST_HTTP_PORT (28443 / 28080), COMPOSE_TEST_PROJECT,
COMPOSE_TEST_KEEP=1 (leave the stack and podman's service running, to look at them).
"""

import contextlib
import io
import json
import os
import secrets
import socket
import ssl
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from tests.compose.conftest import PASSED
from tests.compose.stack import (
    HTTP_PORT,
    HTTPS_PORT,
    PROJECT,
    SERVICES,
    STATE,
    Clock,
    Compose,
    HealthChecks,
    Podman,
    build_images,
    describe,
    generated_settings,
    health_of,
    inspect_project,
    say,
    service_of,
    wait_until,
)

if os.environ.get("COMPOSE_TEST") != "1":
    pytest.skip(
        "the compose stack is built and started by `make compose-test` (COMPOSE_TEST=1)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.compose

TENANT, DOMAIN = "compose", "compose.test"
#: Containers that run for ever and report their health; the workers and the sinks only run.
HEALTHY = {"postgres", "rabbitmq", "gateway", *SERVICES}
RUNNING = {f"{s}-worker" for s in SERVICES} | {"mail-sink", "backup"}
ONE_SHOTS = {"tls-init", "rabbitmq-init"}


def password() -> str:
    return f"Compose-{secrets.token_urlsafe(12)}-7a!"


@dataclass
class Person:
    email: str
    password: str
    id: str = ""


@dataclass
class Deployment:
    compose: Compose
    podman: Podman
    clock: Clock
    settings: dict[str, str]
    cert: Path
    url: str = f"https://localhost:{HTTPS_PORT}"
    #: What the steps made, for the steps after them.
    admin: Person | None = None
    dpo: Person | None = None
    employees: list[Person] = field(default_factory=list)
    sessions: dict[str, dict[str, str]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def client(self, **kwargs: Any) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.cert))
        return httpx.Client(base_url=self.url, verify=context, timeout=20, **kwargs)

    def login(self, person: Person) -> httpx.Client:
        """A signed-in client (the CSRF header set as the page does). Staff members' sessions
        are kept: a TOTP code is accepted once."""
        if person.email in self.sessions:
            client = self.client(cookies=self.sessions[person.email])
        else:
            client = self.client()
            response = client.post(
                "/api/auth/login",
                json={"tenant": TENANT, "email": person.email, "password": person.password},
            )
            assert response.status_code == 200, response.text
            assert not response.json().get("mfa_required"), "staff sign in with second_step()"
        client.headers["X-CSRF-Token"] = client.cookies["csrf_token"]
        return client

    def psql(self, database: str, query: str) -> str:
        """A query straight in the stack's PostgreSQL (the superuser, inside its container)."""
        result = self.compose(
            "exec", "-T", "postgres", "psql", "-U", "postgres", "-d", database, "-tAc", query
        )
        return result.stdout.strip()

    def tickets_of(self, person: Person) -> int:
        return int(
            self.psql("support", f"SELECT count(*) FROM tickets WHERE requester_id = '{person.id}'")
        )

    def has_account(self, person: Person) -> bool:
        found = self.psql("identity", f"SELECT count(*) FROM users WHERE id = '{person.id}'")
        return found == "1"

    def containers(self) -> list[dict[str, Any]]:
        return inspect_project(self.podman)

    def container(self, service: str) -> dict[str, Any]:
        return next(c for c in self.containers() if service_of(c) == service)


def host_listeners() -> set[int]:
    """The TCP ports something on this machine listens on (/proc/net/tcp, tcp6)."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def host_address() -> str:
    """The machine's address on its default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:  # no default route: loopback is all there is
            return "127.0.0.1"
        return str(probe.getsockname()[0])


def second_step(client: httpx.Client, secret: str) -> httpx.Response:
    """The TOTP code of the current step, or of the next one when this one was used."""
    totp = pyotp.TOTP(secret)
    response = client.post("/api/auth/mfa", json={"code": totp.now()})
    for _ in range(2):
        if response.status_code == 200:
            break
        time.sleep(30.2 - time.time() % 30)
        response = client.post("/api/auth/mfa", json={"code": totp.now()})
    return response


def wait_done(client: httpx.Client, request_id: str, timeout: float = 120) -> dict[str, Any]:
    """A data-subject request until it is completed, failed or rejected."""

    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/privacy/requests/{request_id}").json()
        return body if body.get("status") in ("completed", "failed", "rejected") else None

    done: dict[str, Any] = wait_until(f"request {request_id} done", timeout, finished)
    return done


@pytest.fixture(scope="module")
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    clock = Clock()
    podman = Podman(STATE)
    health: HealthChecks | None = None
    compose: Compose | None = None
    failed = True
    try:
        with clock.step("podman API service"):
            docker_host = podman.start()
        images = build_images(podman, clock)
        settings = generated_settings()
        env_file = STATE / "compose.env"
        env_file.unlink(missing_ok=True)
        env_file.touch(mode=0o600)
        env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        compose = Compose(docker_host, env_file, images)
        with clock.step("remove what an earlier run left"):
            compose("down", "-v", "--remove-orphans", "--timeout", "5")
        health = HealthChecks(podman)
        health.start()
        with clock.step("docker-compose up -d"):
            compose("up", "-d", "--no-build", timeout=1200)
        with clock.step("every container healthy"):
            wait_until("every container healthy", 300, lambda: all_up(podman), pause=1)
        cert = STATE / "gateway.crt"
        cert.write_text(
            compose("exec", "-T", "gateway", "cat", "/etc/nginx/tls/gateway.crt").stdout
        )
        yield Deployment(compose, podman, clock, settings, cert)
        failed = False
    finally:
        if health is not None:
            health.stop()
        keep = os.environ.get("COMPOSE_TEST_KEEP") == "1"
        if compose is not None:
            if failed or request.session.testsfailed:
                keep_logs(compose, podman)
            if keep:
                say(f"COMPOSE_TEST_KEEP=1: the stack {PROJECT} and podman's service stay up")
            else:
                with clock.step("docker-compose down -v"):
                    compose("down", "-v", "--remove-orphans", "--timeout", "10", check=False)
        if not keep:
            podman.stop()
        say("steps and their times:\n" + clock.table())


def all_up(podman: Podman) -> bool:
    containers = inspect_project(podman)
    by_service = {service_of(c): c for c in containers}
    if set(by_service) != HEALTHY | RUNNING | ONE_SHOTS:
        return False
    for name, container in by_service.items():
        state = container["State"]
        if name in ONE_SHOTS:
            assert state["Status"] != "exited" or state["ExitCode"] == 0, describe(containers)
            if state["Status"] != "exited":
                return False
        elif state["Status"] != "running":
            return False
        elif name in HEALTHY and health_of(container) != "healthy":
            assert health_of(container) != "unhealthy", describe(containers)
            return False
    return True


def keep_logs(compose: Compose, podman: Podman) -> None:
    """The containers' states and last log lines, under var/compose-test/ and on the console."""
    states = describe(inspect_project(podman))
    logs = compose("logs", "--no-color", "--tail", "60", check=False).stdout
    path = STATE / f"logs-{time.strftime('%Y%m%dT%H%M%S')}.txt"
    path.write_text(states + "\n\n" + logs)
    say(f"containers:\n{states}\nlogs: {path}")


@pytest.fixture(autouse=True)
def timed(request: pytest.FixtureRequest, deployment: Deployment) -> Iterator[None]:
    """Each test is a step of the run: its time, and whether it passed (tests/compose/conftest)."""
    name = request.node.name.removeprefix("test_").replace("_", " ")
    say(f"{name} ...")
    start = time.monotonic()
    yield
    took, passed = time.monotonic() - start, request.node.stash.get(PASSED, False)
    deployment.clock.steps.append((name, took, passed))
    say(f"{name}: {'done' if passed else 'FAILED'} in {took:.1f} s")


def test_every_container_is_healthy_and_runs_hardened(deployment: Deployment) -> None:
    containers = {service_of(c): c for c in deployment.containers()}
    assert set(containers) == HEALTHY | RUNNING | ONE_SHOTS, describe(list(containers.values()))
    for name in HEALTHY:
        assert health_of(containers[name]) == "healthy", name
    for name in ONE_SHOTS:
        assert containers[name]["State"]["ExitCode"] == 0, name
    # Nothing crashed on its way up (a restart policy would hide it).
    restarted = {n: c["RestartCount"] for n, c in containers.items() if c.get("RestartCount")}
    assert not restarted, restarted
    for name in (*SERVICES, *(f"{s}-worker" for s in SERVICES), "backup"):
        host = containers[name]["HostConfig"]
        assert host["ReadonlyRootfs"] is True, name
        assert "no-new-privileges" in " ".join(host.get("SecurityOpt") or []), name
        assert containers[name]["Config"]["User"] in ("app", "10001"), name
        assert host["RestartPolicy"]["Name"] == "unless-stopped", name
    # The versions this file promises (the stand-ins have the same major versions).
    postgres = deployment.psql("postgres", "SHOW server_version")
    assert postgres.startswith("17."), postgres
    rabbitmq = deployment.compose("exec", "-T", "rabbitmq", "rabbitmqctl", "version").stdout.strip()
    assert rabbitmq.startswith("4."), rabbitmq
    nginx = deployment.compose("exec", "-T", "gateway", "nginx", "-v").stderr
    minor = int(nginx.split("nginx/1.", 1)[1].split(".")[0])
    assert minor >= 26, nginx
    python = deployment.compose("exec", "-T", "identity", "python", "--version").stdout
    assert python.startswith("Python 3.13"), python


def test_the_broker_holds_the_definitions_quorum_queues_and_accounts(
    deployment: Deployment,
) -> None:
    listing = deployment.compose(
        "exec",
        "-T",
        "rabbitmq",
        "rabbitmqctl",
        "list_queues",
        "--formatter",
        "json",
        "name",
        "type",
        "arguments",
        "effective_policy_definition",
    ).stdout
    queues = {q["name"]: q for q in json.loads(listing[listing.index("[") :])}
    # deploy/rabbitmq/30-limits.conf: the quorum queues' write-ahead log, held in memory until
    # it rolls over, is bounded at 64 MiB (512 MiB by default).
    wal = deployment.compose(
        "exec",
        "-T",
        "rabbitmq",
        "rabbitmqctl",
        "eval",
        "application:get_env(ra, wal_max_size_bytes).",
    ).stdout
    assert wal.strip() == "{ok,67108864}", wal
    topology = json.loads((Path(__file__).parents[2] / "deploy/rabbitmq/topology.json").read_text())
    assert set(queues) == {q["name"] for q in topology["queues"]}
    for queue in topology["queues"]:
        found = queues[queue["name"]]
        assert found["type"] == "quorum", found
        arguments = {name: value for name, _type, value in found["arguments"]}
        policy = dict(found["effective_policy_definition"] or [])
        if not queue["name"].endswith(".dead"):
            assert arguments["x-delivery-limit"] == 3, found
            assert arguments["x-dead-letter-routing-key"] == queue["name"], found
        else:
            # RabbitMQ 4 gives quorum queues a delivery limit of 20 by default: a dead letter
            # looked at (and requeued) 20 times would be dropped. The policy lifts it.
            assert policy == {"delivery-limit": -1}, found
    users = deployment.compose(
        "exec", "-T", "rabbitmq", "rabbitmqctl", "list_users", "--formatter", "json"
    ).stdout
    accounts = json.loads(users[users.index("[") :])
    # The services' accounts only: no administrator, no guest.
    assert sorted(u["user"] for u in accounts) == sorted(SERVICES), accounts
    assert all(not u["tags"] for u in accounts), accounts
    deprecated = deployment.compose(
        "exec",
        "-T",
        "rabbitmq",
        "rabbitmq-diagnostics",
        "list_deprecated_features",
        "--used",
        "-q",
        check=False,
    )
    assert deprecated.returncode == 0 and not deprecated.stdout.strip(), deprecated.stdout


def test_nothing_but_the_gateway_is_published_and_internal_has_no_way_out(
    deployment: Deployment,
) -> None:
    published = {}
    for container in deployment.containers():
        ports = container["NetworkSettings"].get("Ports") or {}
        bound = {
            binding["HostPort"]
            for bindings in ports.values()
            for binding in bindings or []
            if binding.get("HostPort")
        }
        if bound:
            published[service_of(container)] = bound
    assert published == {"gateway": {str(HTTPS_PORT), str(HTTP_PORT)}}
    # From the host, nothing answers on the ports the containers listen on inside (those the
    # machine's own servers do not hold, as its PostgreSQL and RabbitMQ may).
    inside = {8000, 9100, 1025, 8025, 4369, 25672, 15672, 15692, 5432, 5672}
    probed = sorted(inside - host_listeners())
    assert probed, "every port is held by the machine: nothing to probe"
    for port in probed:
        for address in ("127.0.0.1", host_address()):
            with contextlib.suppress(OSError), socket.create_connection((address, port), 0.5):
                raise AssertionError(f"{address}:{port} answers from the host")
    # The published HTTP port only redirects to HTTPS.
    with httpx.Client(timeout=10) as plain:
        redirect = plain.get(f"http://localhost:{HTTP_PORT}/api/auth/me")
    assert redirect.status_code in (301, 308), redirect.status_code
    assert redirect.headers["location"].startswith(f"https://localhost:{HTTPS_PORT}/")
    # Inside, the services reach each other by name, and nothing outside the internal network.
    # A peer is reached if one of three tries connects (a fresh-clone run once saw privacy's
    # API miss a single 3-second try, then answer); what must stay out of reach is tried as
    # often, so the retries make no check weaker.
    probe = (
        "import socket, sys, time\n"
        "def reach(host, port):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            socket.create_connection((host, port), timeout=3).close()\n"
        "            return True\n"
        "        except OSError:\n"
        "            time.sleep(1)\n"
        "    return False\n"
        "print(reach('privacy', 8000), reach('postgres', 5432), reach(sys.argv[1], 80))\n"
    )
    outside = "deb.debian.org"
    # From orders (identity's API alone is also on `egress`, to reach the client companies'
    # OpenID providers: docker-compose.yml, tests/test_compose.py).
    answer = deployment.compose(
        "exec", "-T", "orders", "python", "-c", probe, outside
    ).stdout.split()
    assert answer == ["True", "True", "False"], answer


def test_a_staff_member_signs_in_with_a_second_step(deployment: Deployment) -> None:
    admin = Person(f"admin@{DOMAIN}", password())
    admin.id = (
        deployment.compose(
            "exec",
            "-T",
            "-e",
            f"ADMIN_PASSWORD={admin.password}",
            "identity",
            "python",
            "-m",
            "identity.bootstrap",
            TENANT,
            "Compose works council",
            DOMAIN,
            admin.email,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with deployment.client() as client:
        first = client.post(
            "/api/auth/login",
            json={"tenant": TENANT, "email": admin.email, "password": admin.password},
        )
        assert first.status_code == 200, first.text
        body = first.json()
        # No session before the second step: only its short-lived cookie.
        assert body["mfa_required"] is True and "__Host-session" not in client.cookies
        # No second factor yet: the first sign-in enrols one (the secret, shown once).
        secret = body["enrolment"]["secret"]
        assert client.get("/api/auth/me").status_code == 401
        second = second_step(client, secret)
        assert second.status_code == 200, second.text
        assert len(second.json()["recovery_codes"]) >= 5
        me = client.get("/api/auth/me").json()
        assert me["id"] == admin.id and "tenant_admin" in me["roles"], me
        deployment.sessions[admin.email] = dict(client.cookies)
    deployment.admin = admin
    admin_client = deployment.login(admin)
    # The staff and the employees of the next steps, made by the administrator.
    dpo = Person(f"dpo@{DOMAIN}", password())
    made = admin_client.post(
        "/api/users",
        json={
            "email": dpo.email,
            "first_name": "Dora",
            "last_name": "Protection",
            "roles": ["dpo"],
            "password": dpo.password,
        },
    )
    assert made.status_code == 201, made.text
    dpo.id = made.json()["id"]
    with deployment.client() as client:
        login = client.post(
            "/api/auth/login", json={"tenant": TENANT, "email": dpo.email, "password": dpo.password}
        )
        assert login.json()["mfa_required"] is True
        assert second_step(client, login.json()["enrolment"]["secret"]).status_code == 200
        deployment.sessions[dpo.email] = dict(client.cookies)
    deployment.dpo = dpo
    for number in range(8):
        person = Person(f"employee{number}-{secrets.token_hex(3)}@{DOMAIN}", password())
        made = admin_client.post(
            "/api/users",
            json={
                "email": person.email,
                "first_name": f"Emma{number}",
                "last_name": f"Compose{secrets.token_hex(3)}",
                "password": person.password,
            },
        )
        assert made.status_code == 201, made.text
        person.id = made.json()["id"]
        deployment.employees.append(person)


def test_an_employee_pays_an_order_through_the_sandbox(deployment: Deployment) -> None:
    assert deployment.admin is not None, "needs the staff sign-in step"
    admin = deployment.login(deployment.admin)
    offer = admin.post(
        "/api/offers",
        json={"title": "Cinema ticket", "kind": "ticket", "price_cents": 950, "stock": 100},
    )
    assert offer.status_code == 201, offer.text
    employee = deployment.employees[0]
    client = deployment.login(employee)
    offers = client.get("/api/offers").json()
    assert offer.json()["id"] in {o["id"] for o in offers}
    placed = client.post(
        "/api/orders", json={"items": [{"offer_id": offer.json()["id"], "quantity": 2}]}
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["total_cents"] == 2 * 950 and order["status"] == "created"
    intent = client.post(f"/api/orders/{order['id']}/pay")
    assert intent.status_code == 200, intent.text
    paid = client.post(intent.json()["redirect_url"])
    assert paid.json() == {"outcome": "paid"}, paid.text
    wait_until(
        "the order fulfilled by the sandbox partners",
        60,
        lambda: client.get(f"/api/orders/{order['id']}").json()["status"] == "fulfilled",
    )
    invoice = client.get(f"/api/orders/{order['id']}/invoice")
    assert invoice.status_code == 200 and invoice.json()["total_cents"] == 1900, invoice.text
    # The confirmation mail went through the outbox and the worker to the stack's mail sink.
    mails = (
        "import json, pathlib; print(json.dumps([p.read_bytes().decode(errors='replace')"
        " for p in sorted(pathlib.Path('/tmp/mail').glob('*.eml'))]))"
    )

    def confirmation() -> bool:
        sent = deployment.compose("exec", "-T", "mail-sink", "python", "-c", mails).stdout
        return any(
            f"To: {employee.email}" in mail and f"Order {order['id'][:8]}" in mail
            for mail in json.loads(sent)
        )

    wait_until("the order's confirmation mail in the sink", 60, confirmation, pause=2)
    deployment.facts["order"] = order["id"]


def test_an_access_archive_holds_the_persons_data_from_every_service(
    deployment: Deployment,
) -> None:
    employee = deployment.employees[0]
    client = deployment.login(employee)
    profile = client.put("/api/subsidies/profile", json={"children_count": 2})
    assert profile.status_code == 200, profile.text
    subject = f"Compose ticket {secrets.token_hex(3)}"
    ticket = client.post("/api/tickets", json={"subject": subject, "message": "Hello"})
    assert ticket.status_code == 201, ticket.text
    filed = client.post("/api/privacy/requests", json={"type": "access"})
    assert filed.status_code == 202, filed.text
    done = wait_done(client, filed.json()["id"])
    assert done["status"] == "completed", done
    assert done["services"] == dict.fromkeys(("identity", "orders", "subsidies", "support"), "done")
    archive = client.get(f"/api/privacy/requests/{filed.json()['id']}/archive")
    assert archive.status_code == 200, archive.text
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        names = set(zipped.namelist())
        data = {
            name: json.loads(zipped.read(f"{name}.json"))
            for name in ("identity", "orders", "subsidies", "support", "privacy")
            if f"{name}.json" in names
        }
    assert set(data) == {"identity", "orders", "subsidies", "support", "privacy"}, names
    assert data["identity"]["users"][0]["email"] == employee.email
    orders = data["orders"]["orders"]
    assert [o["user_id"] for o in orders] == [employee.id] and orders[0]["payment_reference"]
    assert data["subsidies"]["profiles"][0]["children_count"] == 2
    assert [t["subject"] for t in data["support"]["tickets"]] == [subject]
    others = [p.email for p in deployment.employees[1:]]
    assert not any(other in json.dumps(data) for other in others)


def test_the_backup_job_runs_once(deployment: Deployment) -> None:
    """With the person of the erasure below present, as it would be in last night's backup."""
    person = deployment.employees[1]
    client = deployment.login(person)
    assert client.post("/api/tickets", json={"subject": "Drill", "message": "x"}).status_code == 201
    assert deployment.tickets_of(person) == 1
    # In the backup container, as its nightly schedule would (deploy/README.md, "Backups").
    out = deployment.compose(
        "exec", "-T", "backup", "python", "-m", "devstack.backup", "--var-dir", "/data", "backup"
    ).stdout
    folder = out.strip().rsplit(" ", 1)[-1]
    assert folder.startswith("/data/backups/"), out
    listing = deployment.compose(
        "exec",
        "-T",
        "backup",
        "python",
        "-c",
        "import json, pathlib, sys; d = pathlib.Path(sys.argv[1]);"
        " print(json.dumps({'manifest': json.loads((d / 'manifest.json').read_text()),"
        " 'clear': any(b'Drill' in p.read_bytes() for p in d.glob('*.enc'))}))",
        folder,
    ).stdout
    found = json.loads(listing.strip().splitlines()[-1])
    assert set(found["manifest"]["services"]) == set(SERVICES)
    assert found["clear"] is False  # encrypted
    deployment.facts["backup"] = folder
    # A ticket after the backup: the restore takes it away, which shows it restored.
    kept = deployment.employees[2]
    after = deployment.login(kept).post("/api/tickets", json={"subject": "Later", "message": "x"})
    assert after.status_code == 201 and deployment.tickets_of(kept) == 1


def test_an_erasure_completes(deployment: Deployment) -> None:
    assert deployment.dpo is not None
    person = deployment.employees[1]
    filed = deployment.login(person).post("/api/privacy/requests", json={"type": "erasure"})
    assert filed.status_code == 202, filed.text
    done = wait_done(deployment.login(deployment.dpo), filed.json()["id"])
    assert done["status"] == "completed", done
    assert set(done["report"]) >= {"identity", "orders", "subsidies", "support"}
    with deployment.client() as anonymous:
        refused = anonymous.post(
            "/api/auth/login",
            json={"tenant": TENANT, "email": person.email, "password": person.password},
        )
    assert refused.status_code == 401
    assert not deployment.has_account(person) and deployment.tickets_of(person) == 0


def test_a_restore_drill_erases_the_person_again(deployment: Deployment) -> None:
    gone, kept = deployment.employees[1], deployment.employees[2]
    restored = deployment.compose(
        "exec",
        "-T",
        "backup",
        "python",
        "-m",
        "devstack.backup",
        "--var-dir",
        "/data",
        "restore",
        deployment.facts["backup"],
    ).stdout
    assert "restored" in restored, restored

    def erased_again() -> bool:
        return not deployment.has_account(gone) and deployment.tickets_of(gone) == 0

    wait_until("the restored person erased again", 120, erased_again, pause=1)
    assert deployment.has_account(kept)
    assert deployment.tickets_of(kept) == 0, "the ticket made after the backup is still there"
    with deployment.client() as anonymous:
        refused = anonymous.post(
            "/api/auth/login",
            json={"tenant": TENANT, "email": gone.email, "password": gone.password},
        )
    assert refused.status_code == 401
    assert deployment.login(kept).get("/api/auth/me").status_code == 200


def test_a_killed_api_comes_back_and_no_request_is_lost(deployment: Deployment) -> None:
    """SIGKILL to the privacy API's process while the DPO files requests received by mail:
    its restart policy brings it back, a filing that met the dead container is sent again with
    its Idempotency-Key, and each person ends with exactly one request, completed."""
    assert deployment.dpo is not None
    dpo = deployment.login(deployment.dpo)
    people = deployment.employees[2:]
    before = deployment.container("privacy")
    filed: dict[str, str] = {}
    retried: list[str] = []
    lock = threading.Lock()

    def file(person: Person) -> None:
        body = {
            "type": "access",
            "email": person.email,
            "channel": "email",
            "identity_check": "checked by the compose test",
            "verify_by_code": False,
        }
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                response = dpo.post("/api/privacy/requests/on-behalf", json=body, headers=headers)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 202:
                with lock:
                    filed[person.email] = response.json()["id"]
                return
            assert response is None or response.status_code >= 500, response.text
            with lock:
                retried.append(person.email)
            time.sleep(0.5)

    threads = [threading.Thread(target=file, args=(p,)) for p in people[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    os.kill(int(before["State"]["Pid"]), 9)
    threads = [threading.Thread(target=file, args=(p,)) for p in people[2:]]
    for thread in threads:
        thread.start()
        time.sleep(0.3)
    for thread in threads:
        thread.join()
    after: dict[str, Any] = wait_until(
        "the killed API running and healthy again",
        120,
        lambda: (
            (c := deployment.container("privacy"))
            and health_of(c) == "healthy"
            and c["State"]["StartedAt"] != before["State"]["StartedAt"]
            and c
        ),
        pause=1,
    )
    assert after["Id"] == before["Id"]  # the same container, restarted by its policy
    assert after["RestartCount"] > before.get("RestartCount", 0)
    assert set(filed) == {p.email for p in people}, (filed, retried)
    say(f"{len(retried)} filings met the killed API and were sent again")
    assert retried, "no filing met the killed API: the kill came too late to prove anything"
    ids = ",".join(f"'{p.id}'" for p in people)
    counts = deployment.psql(
        "privacy",
        f"SELECT count(*), count(DISTINCT subject) FROM requests"
        f" WHERE type = 'access' AND channel = 'email' AND subject IN ({ids})",
    )
    assert counts == f"{len(people)}|{len(people)}", counts
    for request_id in filed.values():
        assert wait_done(dpo, request_id)["status"] == "completed"
