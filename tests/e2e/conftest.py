"""The whole platform through the real Nginx, on PostgreSQL and RabbitMQ, on test ports."""

import asyncio
import os
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pyotp
import pytest

from devstack.stack import ROOT, SERVICES, ServiceSpec, Stack
from tests.conftest import postgres_stack

PASSWORD = "E2e-Demo-Password-2026!"
#: The demo staff accounts' TOTP secret (DEMO_TOTP_SECRET of the stack).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: Two suites on one machine (a developer's and a helper's) each take their own ports,
#: exchange and var/ folder: E2E_SHIFT=1 moves everything by 1,000.
SHIFT = int(os.environ.get("E2E_SHIFT", "0"))
HTTPS_PORT = 18443 + 1000 * SHIFT
HTTP_PORT = 18080 + 1000 * SHIFT
PORT_OFFSET = 10000 + 1000 * SHIFT
EXCHANGE = f"e2e{SHIFT or ''}.events"
STACK_NAME = f"e2e{SHIFT or ''}"


@dataclass
class Platform:
    stack: Stack
    url: str
    cert: Path
    var_dir: Path
    _staff_sessions: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.tls_context(), timeout=10, **kwargs)  # type: ignore[arg-type]

    def tls_context(self) -> ssl.SSLContext:
        """Trusts the run's self-signed certificate, and nothing else."""
        return ssl.create_default_context(cafile=str(self.cert))

    def login(self, email: str, tenant: str = "demo", password: str = PASSWORD) -> httpx.Client:
        """A client holding a session; unsafe requests carry the CSRF header like the page does.

        Staff log in with a second step (TOTP), and a code is accepted once: their sessions are
        kept and shared between tests (each gets its own client), so that two logins in the
        same 30-second step do not have to wait for the next code."""
        key = (tenant, email, password)
        cached = self._staff_sessions.get(key)
        if cached is not None:
            client = self.client(cookies=cached)
            if client.get("/api/auth/me").status_code == 200:
                client.headers["X-CSRF-Token"] = client.cookies["csrf_token"]
                return client
            client.close()
        client = self.client()
        response = client.post(
            "/api/auth/login", json={"tenant": tenant, "email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        if response.json().get("mfa_required"):
            self.second_step(client)
            self._staff_sessions[key] = dict(client.cookies)
        client.headers["X-CSRF-Token"] = client.cookies["csrf_token"]
        return client

    def second_step(self, client: httpx.Client, secret: str = TOTP_SECRET) -> httpx.Response:
        """The TOTP code of the current step, or of the next one when this one was used."""
        totp = pyotp.TOTP(secret)
        for _ in range(3):
            response = client.post("/api/auth/mfa", json={"code": totp.now()})
            if response.status_code == 200:
                return response
            time.sleep(30.2 - time.time() % 30)
        raise AssertionError(f"second step refused: {response.text}")

    def spec(self, name: str) -> ServiceSpec:
        return next(s for s in SERVICES if s.name == name)

    def service_url(self, name: str, path: str) -> str:
        """A service straight, bypassing the gateway (tests only; it listens on loopback)."""
        return f"http://127.0.0.1:{self.stack.config.port(self.spec(name))}{path}"

    def service_env(self, name: str) -> dict[str, str]:
        return self.stack.service_env(self.spec(name))


@contextmanager
def running_platform(
    name: str, *, https_port: int, http_port: int, port_offset: int, exchange: str
) -> Iterator[Platform]:
    """The whole platform on fresh PostgreSQL databases with the test settings (the e2e and the
    browser suites each start one, on their own ports and exchange)."""
    env = {
        "EVENTS_EXCHANGE": exchange,
        "LOG_LEVEL": "INFO",
        "RELAY_POLL_SECONDS": "30",
        # A first lock long enough that a slow machine still sees it in the lock test.
        "LOGIN_LOCK_BASE_SECONDS": "20",
        # Unanswered data-subject commands are sent again after 2 s (default 10 s).
        "RETRY_SECONDS": "2",
        "DEMO_TOTP_SECRET": TOTP_SECRET,
        # The inactive-accounts job looks every 2 s (default: hourly).
        "INACTIVITY_CHECK_SECONDS": "2",
        # The employer's directory of tests/e2e/test_oidc.py listens on loopback, in plain HTTP.
        "OIDC_ALLOW_HTTP": "true",
    }
    # The logs scanned at the end are this session's only: an earlier run's stay behind in
    # var/<name> (postgres_stack) and would fail, or pass, the scan for what they hold.
    for logs in ("logs", "gateway/logs"):
        shutil.rmtree(ROOT / "var" / name / logs, ignore_errors=True)
    with postgres_stack(
        name,
        https_port=https_port,
        http_port=http_port,
        port_offset=port_offset,
        password=PASSWORD,
        env=env,
    ) as stack:
        var_dir = stack.config.var_dir
        yield Platform(
            stack, f"https://localhost:{https_port}", var_dir / "tls" / "gateway.crt", var_dir
        )


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    with running_platform(
        STACK_NAME,
        https_port=HTTPS_PORT,
        http_port=HTTP_PORT,
        port_offset=PORT_OFFSET,
        exchange=EXCHANGE,
    ) as running:
        yield running


def _unsent(platform: Platform) -> dict[str, int]:
    async def count(url: str) -> int:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
        finally:
            await conn.close()

    urls = platform.stack.config.database_urls
    return {name: asyncio.run(count(url)) for name, url in urls.items()}


def _queued(platform: Platform) -> dict[str, int]:
    """Messages of each queue of the stack (ready, or delivered and not yet acknowledged), but
    the dead-letter queues."""
    prefix = platform.service_env("privacy")["EVENTS_EXCHANGE"] + "."
    listing = subprocess.run(
        ["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "messages"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    found = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith(prefix) and not parts[0].endswith(".dead"):
            found[parts[0]] = int(parts[1])
    return found


def wait_quiet(platform: Platform, timeout: float = 60) -> None:
    """The positive event a check that something did not happen waits for: nothing in flight.
    Every outbox of the stack sent and every queue of its exchange empty (a consumer
    acknowledges a message once its handler's transaction, with the events it wrote, has
    committed), twice in a row: whatever was to follow from what the test did has happened."""
    deadline, quiet = time.monotonic() + timeout, 0
    while quiet < 2:
        busy = {k: v for k, v in (_unsent(platform) | _queued(platform)).items() if v}
        quiet = 0 if busy else quiet + 1
        assert time.monotonic() < deadline, f"still in flight: {busy}"
        time.sleep(0.2)


# -- no personal data in any log (X4) ---------------------------------------------------------

DEMO_NAMES = ("Alice", "Martin", "Bernard", "Carol", "Petit")
#: What the suite's own tests wrote: the subsidies tests' IBAN and holder, a ticket's text.
WRITTEN = ("FR7630006000011234567890189", "3000 6000 0112", "Ann Lee", "Eve Erased")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?:demo|other)\.test")


def assert_logs_hold_none_of(
    platform: Platform, values: tuple[str, ...], email: re.Pattern[str]
) -> None:
    """Every service's and the gateway's log of the stack: no address matching ``email``,
    none of the demo names, ``values`` or the demo password."""
    time.sleep(0.5)  # the last lines reach the files
    logs = sorted(platform.var_dir.glob("logs/*.log")) + sorted(
        platform.var_dir.glob("gateway/logs/*.log")
    )
    assert logs, "no log files"
    for path in logs:
        text = path.read_text(errors="replace")
        found = email.search(text)
        assert found is None, f"an email address in {path.name}"
        for value in (*DEMO_NAMES, *values, PASSWORD):
            assert value not in text, f"{value!r} in {path.name}"


@pytest.fixture(scope="session", autouse=True)
def logs_scanned_at_the_end(platform: Platform) -> Iterator[None]:
    """After the last test of the session, whichever it was and however many ran: the logs of
    everything the tests did hold no personal data (an error of the session's end if so)."""
    yield
    assert_logs_hold_none_of(platform, WRITTEN, EMAIL)


@pytest.fixture
def login(platform: Platform) -> Callable[..., httpx.Client]:
    return platform.login


@pytest.fixture
def anonymous(platform: Platform) -> Iterator[httpx.Client]:
    with platform.client() as client:
        yield client
