"""The whole platform as local processes: Nginx and each service on 127.0.0.1.

Used by ``make run`` (SQLite under ``var/``) and by the end-to-end tests (PostgreSQL, other
ports). A process that dies is restarted and the console says so.
"""

import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from devstack.gateway import render
from devstack.tls import ensure_certificate

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    app: str
    port: int
    seed: str | None = None
    #: The module of its event worker (consumers, relay, scheduled jobs), if it has one.
    worker: str | None = None

    @property
    def alembic_ini(self) -> Path:
        return ROOT / "services" / self.name / "alembic.ini"


SERVICES = [
    ServiceSpec(
        "identity", "identity.main:app", 8101, seed="identity.seed", worker="identity.worker"
    ),
    ServiceSpec("orders", "orders.main:app", 8102, seed="orders.seed", worker="orders.worker"),
    ServiceSpec(
        "subsidies", "subsidies.main:app", 8103, seed="subsidies.seed", worker="subsidies.worker"
    ),
    ServiceSpec("support", "support.main:app", 8104, worker="support.worker"),
    ServiceSpec("privacy", "privacy.main:app", 8105, worker="privacy.worker"),
]


def replicas_from_env(value: str | None = None) -> dict[str, int]:
    """``DEVSTACK_REPLICAS`` ("identity=2,orders=2") as {service: processes}."""
    text = os.environ.get("DEVSTACK_REPLICAS", "") if value is None else value
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {name.strip(): int(count) for name, count in pairs}


@dataclass
class StackConfig:
    var_dir: Path = ROOT / "var"
    http_port: int = 8080
    https_port: int = 8443
    #: Added to each service's port, so a test stack runs beside a local run.
    port_offset: int = 0
    #: Service name -> database URL; absent services use SQLite under var/db (the default).
    database_urls: dict[str, str] = field(default_factory=dict)
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    environment: str = "development"
    #: Each sign-in route (login, second step, reset, unsubscribe, password change) has a zone
    #: of this size per client address: 300 people behind one address all sign in within a
    #: minute (docs/gateway.md); guessing is stopped per account by identity.
    login_rate: str = "600r/m"
    login_burst: int = 300
    #: Public forms (a business asking to be listed): per client address.
    form_rate: str = "6r/m"
    form_burst: int = 5
    max_body: str = "1m"
    smtp_port: int = 8025
    demo_password: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    #: Processes of each API behind the gateway (replica n listens on the port + 10 * n):
    #: services keep no state of their own, so Nginx spreads requests over them and, when one
    #: refuses connections, passes the request to the next.
    api_replicas: int = 1
    #: At least this many processes of these APIs, whatever ``api_replicas`` says; by default
    #: from ``DEVSTACK_REPLICAS`` ("identity=2"), which ``make load`` passes on when it is set:
    #: identity answers the gateway's check of nearly every request (``auth_request``), and
    #: its one event loop was once where every request queued first under load
    #: (docs/performance.md). By default every stack runs one process per API (the tests kill
    #: "identity" and expect it gone).
    min_replicas: dict[str, int] = field(default_factory=replicas_from_env)

    def port(self, spec: ServiceSpec) -> int:
        return spec.port + self.port_offset

    def ports(self, spec: ServiceSpec) -> list[int]:
        """The ports of every replica of ``spec``'s API."""
        replicas = max(self.api_replicas, self.min_replicas.get(spec.name, 1))
        return [self.port(spec) + 10 * n for n in range(replicas)]

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.https_port}"


#: How long a service keeps an idle connection from the gateway open. Longer than Nginx keeps
#: its idle upstream connections (60 s, the default of `keepalive_timeout` in an upstream):
#: with uvicorn's default of 5 s, Nginx sometimes sent a request on a connection uvicorn was
#: closing, and a POST (never retried) got a 502 under load. deploy/docker/entrypoint.sh too.
UPSTREAM_KEEP_ALIVE_SECONDS = 75


class Process:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class Stack:
    def __init__(self, config: StackConfig, say: Callable[[str], None] = print) -> None:
        self.config = config
        self.say = say
        self.processes: list[Process] = []
        #: Each service's broker password (``provision_broker``) and privacy's public key.
        self.broker_passwords: dict[str, str] = {}
        self.seal_key = ""

    @property
    def exchange(self) -> str:
        return self.config.extra_env.get("EVENTS_EXCHANGE", "events")

    def amqp_url(self, service: str) -> str:
        """The service's own broker account (``config.amqp_url`` names the broker)."""
        from devstack.rabbitmq import stack_prefix  # noqa: PLC0415 (it imports this module)

        base = urlsplit(self.config.amqp_url)
        user = quote(stack_prefix(self.exchange) + service, safe="")
        password = quote(self.broker_passwords.get(service, ""), safe="")
        host = base.hostname or "127.0.0.1"
        return urlunsplit(
            (base.scheme, f"{user}:{password}@{host}:{base.port or 5672}", base.path, "", "")
        )

    def provision_broker(self) -> None:
        """One broker account per service on the machine's RabbitMQ, and privacy's sealing
        key given to every service (``PRIVACY_SEAL_KEY``)."""
        from devstack.rabbitmq import provision  # noqa: PLC0415
        from kit.crypto import public_key_text  # noqa: PLC0415
        from privacy.keys import file_key  # noqa: PLC0415

        self.broker_passwords = provision(self.exchange)
        keys_dir = Path(
            self.config.extra_env.get("KEYS_DIR", self.config.var_dir / "keys" / "privacy")
        )
        self.seal_key = public_key_text(file_key(keys_dir))

    @property
    def gateway_dir(self) -> Path:
        return self.config.var_dir / "gateway"

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        cfg = self.config
        identity = next(s for s in SERVICES if s.name == "identity")
        subsidies = next(s for s in SERVICES if s.name == "subsidies")
        env = {
            **os.environ,
            "ENVIRONMENT": cfg.environment,
            "VAR_DIR": str(cfg.var_dir),
            "AMQP_URL": self.amqp_url(spec.name),
            "PRIVACY_SEAL_KEY": self.seal_key,
            "JWKS_URL": f"http://127.0.0.1:{cfg.port(identity)}/.well-known/jwks.json",
            "IDENTITY_URL": f"http://127.0.0.1:{cfg.port(identity)}",
            "SUBSIDIES_URL": f"http://127.0.0.1:{cfg.port(subsidies)}",
            "PUBLIC_ORIGINS": json.dumps([cfg.origin]),
            "SMTP_PORT": str(cfg.smtp_port + cfg.port_offset),
            **cfg.extra_env,
        }
        if spec.name in cfg.database_urls:
            env["DATABASE_URL"] = cfg.database_urls[spec.name]
        else:
            env.pop("DATABASE_URL", None)
        return env

    # -- preparation -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Folders, certificate, migrations, demo data, Nginx configuration."""
        for sub in ("db", "logs", "tls"):
            (self.config.var_dir / sub).mkdir(parents=True, exist_ok=True)
        self.provision_broker()
        for spec in SERVICES:
            self._run(
                [sys.executable, "-m", "alembic", "-c", str(spec.alembic_ini), "upgrade", "head"],
                spec,
            )
            if spec.seed:
                env_extra = (
                    {"DEMO_PASSWORD": self.config.demo_password}
                    if self.config.demo_password
                    else {}
                )
                self._run([sys.executable, "-m", spec.seed], spec, env_extra)
        self.render_gateway()

    def _run(self, argv: list[str], spec: ServiceSpec, extra: dict[str, str] | None = None) -> None:
        result = subprocess.run(  # noqa: PLW1510 (the return code is read below)
            argv,
            env=self.service_env(spec) | (extra or {}),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv[1:4])} failed for {spec.name}:\n{result.stderr[-3000:]}"
            )

    def render_gateway(self) -> Path:
        cfg = self.config
        cert, key = ensure_certificate(cfg.var_dir / "tls")
        state = self.gateway_dir
        for sub in ("logs", "tmp", "auth-cache"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        (state / "auth-cache").chmod(0o700)
        values = {
            "GATEWAY_USER": getpass.getuser(),
            "GATEWAY_STATE_DIR": str(state),
            "GATEWAY_CONF_DIR": str(state / "conf"),
            "GATEWAY_HTML_ROOT": str(ROOT / "gateway" / "html"),
            "GATEWAY_HTTP_PORT": str(cfg.http_port),
            "GATEWAY_HTTPS_PORT": str(cfg.https_port),
            "GATEWAY_TLS_CERT": str(cert),
            "GATEWAY_TLS_KEY": str(key),
            "GATEWAY_MAX_BODY": cfg.max_body,
            "GATEWAY_LOGIN_RATE": cfg.login_rate,
            "GATEWAY_LOGIN_BURST": str(cfg.login_burst),
            "GATEWAY_FORM_RATE": cfg.form_rate,
            "GATEWAY_FORM_BURST": str(cfg.form_burst),
        }
        for spec in SERVICES:
            # One `server` line in the template; more replicas continue it on the same line.
            servers = [f"127.0.0.1:{port}" for port in cfg.ports(spec)]
            values[f"{spec.name.upper()}_UPSTREAM"] = "; server ".join(servers)
        conf = render(ROOT / "gateway" / "templates", state / "conf", values)
        check = subprocess.run(  # noqa: PLW1510 (the return code is read below)
            [
                nginx_binary(),
                "-t",
                "-q",
                "-p",
                str(state),
                "-c",
                str(conf),
                "-e",
                str(state / "logs" / "error.log"),
            ],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejected its configuration:\n{check.stderr}")
        return conf

    # -- processes ---------------------------------------------------------------------------

    def start(self) -> None:
        logs = self.config.var_dir / "logs"
        for spec in SERVICES:
            port = self.config.port(spec)
            for replica, replica_port in enumerate(self.config.ports(spec)):
                ensure_port_free(replica_port, spec.name)
                argv = [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    spec.app,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(replica_port),
                ]
                argv += ["--no-server-header", "--timeout-graceful-shutdown", "5"]
                argv += ["--timeout-keep-alive", str(UPSTREAM_KEEP_ALIVE_SECONDS)]
                name = spec.name if replica == 0 else f"{spec.name}-{replica + 1}"
                self.processes.append(
                    Process(name, argv, self.service_env(spec), logs / f"{name}.log")
                )
            if spec.worker:
                name = f"{spec.name}-worker"
                # Its Prometheus endpoint: the service's port + 100.
                env = self.service_env(spec) | {"WORKER_METRICS_PORT": str(port + 100)}
                self.processes.append(
                    Process(name, [sys.executable, "-m", spec.worker], env, logs / f"{name}.log")
                )
        smtp_port = self.config.smtp_port + self.config.port_offset
        ensure_port_free(smtp_port, "mail sink")
        sink = [sys.executable, "-m", "devstack.mailsink", "--port", str(smtp_port)]
        sink += ["--dir", str(self.config.var_dir / "mail")]
        self.processes.insert(
            0, Process("mail-sink", sink, dict(os.environ), logs / "mail-sink.log")
        )
        for port in (self.config.http_port, self.config.https_port):
            ensure_port_free(port, "gateway")
        state = self.gateway_dir
        nginx = [
            nginx_binary(),
            "-p",
            str(state),
            "-c",
            str(state / "conf" / "nginx.conf"),
            "-e",
            str(state / "logs" / "error.log"),
            "-g",
            "daemon off;",
        ]
        self.processes.append(Process("gateway", nginx, dict(os.environ), logs / "gateway.log"))
        for process in self.processes:
            process.start()
        self.wait_ready()

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        pending = {
            f"{spec.name}:{port}": f"http://127.0.0.1:{port}/readyz"
            for spec in SERVICES
            for port in self.config.ports(spec)
        }
        pending["gateway"] = f"https://127.0.0.1:{self.config.https_port}/healthz"
        # Our own self-signed certificate, on loopback.
        with httpx.Client(verify=False, timeout=2) as client:  # noqa: S501
            while pending and time.monotonic() < deadline:
                for name, url in list(pending.items()):
                    try:
                        if client.get(url).status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                dead = [p.name for p in self.processes if not p.alive]
                if dead:
                    raise RuntimeError(
                        f"{', '.join(dead)} exited at start; see {self.config.var_dir / 'logs'}"
                    )
                time.sleep(0.2)
        if pending:
            raise RuntimeError(f"not ready after {timeout:.0f} s: {', '.join(pending)}")

    def supervise_once(self) -> None:
        for process in self.processes:
            if not process.alive:
                code = process.popen.returncode if process.popen else None
                process.restarts += 1
                self.say(
                    f"[supervisor] {process.name} exited (code {code}); "
                    f"restarting (restart #{process.restarts})"
                )
                process.start()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if not found:
        raise RuntimeError("nginx is not installed: run `make deps` (apt-get install nginx)")
    return found


def ensure_port_free(port: int, name: str) -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} for {name} is already in use (another run?)")


def wait_for_tcp(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.5)
    return False
