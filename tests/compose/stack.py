"""The compose deployment started for real, on podman through docker-compose (`make
compose-test`, tests/compose/test_compose_stack.py).

Production images come from public registries; this machine kind reaches none, only Debian's,
Python's and npm's package registries. So the test builds, and caches between runs:

- a Debian 13 base with debootstrap, from the mirror apt uses here (``localhost/compose-test/
  debian:trixie-<key>``);
- on it, stand-ins of the official images with the same major versions (PostgreSQL 17,
  RabbitMQ 4, Nginx, Python 3.13), from deploy/compose-test/standins/ (``localhost/compose-
  test/<name>:<key>``; the key is a hash of what builds them: a change rebuilds, nothing else);
- the platform's images from deploy/docker/Dockerfile* as they are, with the Python stand-in as
  their ``PYTHON_IMAGE`` build argument (podman's layer cache: a change of code rebuilds the
  last layers only), under the names docker-compose.yml gives them.

HTTPS from inside a build goes through this network's own certificate authority: builds see the
machine's CA bundle through a read-only volume, which is never part of an image.

Then docker-compose drives podman's Docker-compatible socket with docker-compose.yml and the
test's override (deploy/compose-test/docker-compose.test.yml: the stand-in images, staging),
under a project name of its own, with secrets generated for the run in an env file that only
root can read.

Two things the engine would do are done here: podman runs no default ulimits and runc (a
containers.conf of the test's own: this sandbox refuses setrlimit and crun's cgroups), and the
health checks run from this process at each container's interval (podman schedules them with
systemd timers, and this machine kind runs no systemd).
"""

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kit.crypto import public_key_text
from privacy.keys import private_key_text

ROOT = Path(__file__).resolve().parents[2]
TEST_DIR = ROOT / "deploy" / "compose-test"
STANDINS = TEST_DIR / "standins"
OVERRIDE = TEST_DIR / "docker-compose.test.yml"
STATE = Path(os.environ.get("COMPOSE_TEST_STATE", str(ROOT / "var" / "compose-test")))
#: The compose project: container, network and volume names start with it.
PROJECT = os.environ.get("COMPOSE_TEST_PROJECT", "platform-compose-test")
#: Published ports of the gateway (the local run takes 8443/8080, the e2e stacks 18443...).
HTTPS_PORT = int(os.environ.get("COMPOSE_TEST_HTTPS_PORT", "28443"))
HTTP_PORT = int(os.environ.get("COMPOSE_TEST_HTTP_PORT", "28080"))
SUITE = "trixie"
SERVICES = ("identity", "orders", "subsidies", "support", "privacy")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINERS_CONF = """\
# The compose test's podman settings (tests/compose/stack.py): this sandbox refuses setrlimit
# (no default ulimits) and crun's cgroups in hybrid mode (runc); netavark gives compose's
# networks their service-name DNS.
[containers]
default_ulimits = []

[network]
network_backend = "netavark"

[engine]
runtime = "runc"
"""
#: Bumped when the base's recipe changes in a way its key does not see.
BASE_RECIPE = "minbase, sources with updates and security, policy-rc.d, apt lists dropped: 1"
POLICY_RC_D = "#!/bin/sh\n# No service starts while an image is built.\nexit 101\n"

#: name -> (Dockerfile, build arguments) of the platform's images, as compose names them.
PLATFORM_IMAGES: dict[str, tuple[str, dict[str, str]]] = {
    **{f"platform/{s}:local": ("deploy/docker/Dockerfile", {"SERVICE": s}) for s in SERVICES},
    "platform/backup:local": ("deploy/docker/Dockerfile.backup", {}),
}


def say(message: str) -> None:
    print(f"[compose-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Clock:
    """Each step of the run with its time, printed as it ends and as a table at the end."""

    steps: list[tuple[str, float, bool]] = field(default_factory=list)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        start, ok = time.monotonic(), False
        say(f"{name} ...")
        try:
            yield
            ok = True
        finally:
            took = time.monotonic() - start
            self.steps.append((name, took, ok))
            say(f"{name}: {'done' if ok else 'FAILED'} in {took:.1f} s")

    def table(self) -> str:
        width = max((len(name) for name, _, _ in self.steps), default=10)
        lines = [f"{'step':<{width}}  {'seconds':>8}  result"]
        lines += [
            f"{name:<{width}}  {took:8.1f}  {'ok' if ok else 'FAILED'}"
            for name, took, ok in self.steps
        ]
        total = sum(took for _, took, _ in self.steps)
        lines.append(f"{'total':<{width}}  {total:8.1f}")
        return "\n".join(lines)


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
    check: bool = True,
    stdin: str | None = None,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """A command, its output captured; a failure raises with the command's last words."""
    result = subprocess.run(
        list(args),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        tail = (result.stdout[-3000:] + "\n" + result.stderr[-3000:]).strip()
        raise AssertionError(f"{' '.join(args[:4])}... exited {result.returncode}:\n{tail}")
    return result


def digest(parts: Sequence[str | bytes]) -> str:
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "big") + data)
    return hashed.hexdigest()[:16]


class Podman:
    """Podman with the test's settings, and its Docker-compatible socket for docker-compose."""

    def __init__(self, state: Path) -> None:
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.state = state
        self.conf = state / "containers.conf"
        self.conf.write_text(CONTAINERS_CONF)
        self.socket = state / "podman.sock"
        self.env = {**os.environ, "CONTAINERS_CONF": str(self.conf)}
        self.service: subprocess.Popen[bytes] | None = None

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        return run(["podman", *args], env=self.env, check=check, timeout=timeout)

    def exists(self, image: str) -> bool:
        return self("image", "exists", image, check=False).returncode == 0

    def build(
        self,
        tag: str,
        dockerfile: Path,
        context: Path,
        args: Mapping[str, str],
        *,
        https: bool = False,
    ) -> None:
        """Docker's image format (it keeps HEALTHCHECK) and the host's network (its resolver).
        ``https``: the machine's CA bundle over the image's own, for the build's downloads only
        (pip; apt speaks HTTP, and a build that installs ca-certificates must not see it)."""
        command = ["build", "--format", "docker", "--network", "host", "-f", str(dockerfile)]
        if https and CA_BUNDLE.exists():
            command += ["--volume", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
        for name, value in args.items():
            command += ["--build-arg", f"{name}={value}"]
        self(*command, "-t", tag, str(context), timeout=1800)

    def answers(self) -> bool:
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(str(self.socket))
            return True
        return False

    def start(self) -> str:
        """The API service on the test's socket (one left by an earlier run is used); returns
        the DOCKER_HOST of docker-compose."""
        if not self.answers():
            self.socket.unlink(missing_ok=True)
            log = (self.state / "podman-service.log").open("ab")
            self.service = subprocess.Popen(
                ["podman", "system", "service", "--time=0", f"unix://{self.socket}"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + 30
            while not self.answers():
                assert self.service.poll() is None, "podman system service exited"
                assert time.monotonic() < deadline, "podman's socket never answered"
                time.sleep(0.2)
        return f"unix://{self.socket}"

    def stop(self) -> None:
        """Only the service this process started."""
        if self.service is not None and self.service.poll() is None:
            self.service.terminate()
            try:
                self.service.wait(10)
            except subprocess.TimeoutExpired:
                self.service.kill()
                self.service.wait(10)
        self.service = None


def debian_mirrors() -> tuple[str, str]:
    """The Debian mirror apt uses on this machine and its security mirror."""
    uris: list[str] = []
    apt = Path("/etc/apt")
    for path in [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.sources"))]:
        if path.exists():
            text = path.read_text()
            uris += re.findall(r"^URIs:\s*(\S+)", text, re.MULTILINE)
            uris += re.findall(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.MULTILINE)
    main = next(
        (u.rstrip("/") for u in uris if u.rstrip("/").endswith("/debian")),
        "http://deb.debian.org/debian",
    )
    security = next(
        (u.rstrip("/") for u in uris if u.rstrip("/").endswith("/debian-security")),
        main.rsplit("/", 1)[0] + "/debian-security",
    )
    return main, security


def base_image(podman: Podman) -> str:
    """Debian 13 (minbase) from the machine's mirror, made once with debootstrap."""
    main, security = debian_mirrors()
    sources = (
        f"deb {main} {SUITE} main\n"
        f"deb {main} {SUITE}-updates main\n"
        f"deb {security} {SUITE}-security main\n"
    )
    tag = f"localhost/compose-test/debian:{SUITE}-{digest([BASE_RECIPE, sources, POLICY_RC_D])}"
    if podman.exists(tag):
        say(f"cached: {tag}")
        return tag
    rootfs = podman.state / f"rootfs-{SUITE}"
    shutil.rmtree(rootfs, ignore_errors=True)
    try:
        run(["debootstrap", "--variant=minbase", SUITE, str(rootfs), main], timeout=1200)
        (rootfs / "etc/apt/sources.list").write_text(sources)
        policy = rootfs / "usr/sbin/policy-rc.d"
        policy.write_text(POLICY_RC_D)
        policy.chmod(0o755)
        for folder in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / folder).glob("*"):
                if item.is_file():
                    item.unlink()
        with subprocess.Popen(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
        ) as tar:
            imported = subprocess.run(
                [
                    "podman",
                    "import",
                    "--change",
                    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "--change",
                    'CMD ["/bin/bash"]',
                    "-",
                    tag,
                ],
                stdin=tar.stdout,
                env=podman.env,
                capture_output=True,
                text=True,
                check=False,
            )
        assert tar.returncode == 0 and imported.returncode == 0, imported.stderr
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    repository = tag.split(":", 1)[0]
    listing = podman("images", "--format", "{{.Repository}}:{{.Tag}}", repository)
    for old in set(listing.stdout.split()) - {tag}:
        podman("rmi", old, check=False)  # a base of an older recipe (kept while in use)
    say(f"built: {tag}")
    return tag


def standin(podman: Podman, name: str, base: str) -> str:
    """The stand-in ``name`` (python, postgres, rabbitmq, nginx), built when its recipe or the
    base changed."""
    containerfile = STANDINS / f"{name}.Containerfile"
    files = [containerfile]
    if (STANDINS / name).is_dir():
        files += sorted(p for p in (STANDINS / name).iterdir() if p.is_file())
    parts: list[str | bytes] = [base]
    for path in files:
        parts += [path.name, oct(path.stat().st_mode & 0o777), path.read_bytes()]
    repository = f"localhost/compose-test/{name}"
    tag = f"{repository}:{digest(parts)}"
    if podman.exists(tag):
        say(f"cached: {tag}")
    else:
        podman.build(tag, containerfile, STANDINS, {"BASE": base})
        say(f"built: {tag}")
        # The stand-ins of older recipes go (an image still in use stays).
        listing = podman("images", "--format", "{{.Repository}}:{{.Tag}}", repository)
        for old in set(listing.stdout.split()) - {tag}:
            podman("rmi", old, check=False)
    return tag


@dataclass
class Images:
    python: str
    postgres: str
    rabbitmq: str
    nginx: str

    def compose_env(self) -> dict[str, str]:
        return {
            "COMPOSE_TEST_POSTGRES_IMAGE": self.postgres,
            "COMPOSE_TEST_RABBITMQ_IMAGE": self.rabbitmq,
            "COMPOSE_TEST_NGINX_IMAGE": self.nginx,
        }


def build_images(podman: Podman, clock: Clock) -> Images:
    """The base, the stand-ins and the platform's images (three builds at a time)."""
    with clock.step("base image (debootstrap)"):
        base = base_image(podman)
    with clock.step("Python stand-in"):
        python = standin(podman, "python", base)
    with clock.step("other stand-ins, the platform's 6 images"), ThreadPoolExecutor(3) as pool:
        servers = {name: pool.submit(standin, podman, name, base) for name in ("postgres",)}
        platform = [
            pool.submit(
                podman.build,
                tag,
                ROOT / dockerfile,
                ROOT,
                {**args, "PYTHON_IMAGE": python},
                https=True,
            )
            for tag, (dockerfile, args) in PLATFORM_IMAGES.items()
        ]
        servers |= {
            name: pool.submit(standin, podman, name, base) for name in ("rabbitmq", "nginx")
        }
        for future in platform:
            future.result()
        # The images a rebuild replaced (untagged, no child): each code change leaves one.
        podman("image", "prune", "-f", check=False)
        return Images(
            python=python,
            postgres=servers["postgres"].result(),
            rabbitmq=servers["rabbitmq"].result(),
            nginx=servers["nginx"].result(),
        )


def env_example() -> list[tuple[str, str]]:
    """The variables of .env.example's compose section, in order."""
    text = (ROOT / ".env.example").read_text().split("# --- a local run", 1)[0]
    return [
        (name, value)
        for name, value in (
            line.split("=", 1) for line in text.splitlines() if re.match(r"^[A-Z_]+=", line)
        )
    ]


def generated_settings() -> dict[str, str]:
    """Every compose variable, each secret generated for this run (URL-safe, as the passwords
    go into URLs); the mail sink of the stack; the test's ports; a new sealing key pair."""
    values = {}
    for name, example in env_example():
        placeholder = example.startswith(("change-me", "dev-insecure-"))
        values[name] = secrets.token_urlsafe(32) if placeholder else example
    key = X25519PrivateKey.generate()
    values |= {
        "PRIVACY_SEAL_KEY": public_key_text(key),
        "PRIVACY_SEAL_PRIVATE_KEY": private_key_text(key),
        "SMTP_HOST": "mail-sink",
        "SMTP_PORT": "1025",
        "GATEWAY_HTTPS_PORT": str(HTTPS_PORT),
        "GATEWAY_HTTP_PORT": str(HTTP_PORT),
        "PUBLIC_ORIGIN": f"https://localhost:{HTTPS_PORT}",
        "PAYMENT_PROVIDER": "sandbox",
        "PARTNER_ADAPTER": "sandbox",
    }
    return values


@dataclass
class Compose:
    """docker-compose on the test's project, files and env file."""

    docker_host: str
    env_file: Path
    images: Images

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DOCKER_HOST": self.docker_host,
            "COMPOSE_HTTP_TIMEOUT": "600",
            **self.images.compose_env(),
        }

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 900, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [
            "docker-compose",
            "--project-name",
            PROJECT,
            "--env-file",
            str(self.env_file),
            "-f",
            str(ROOT / "docker-compose.yml"),
            "-f",
            str(OVERRIDE),
            *args,
        ]
        return run(command, env=self.env(), check=check, timeout=timeout, stdin=stdin)


def api(podman: Podman) -> httpx.Client:
    """Podman's own REST API on the test's socket (cheaper than a CLI process a call)."""
    return httpx.Client(
        transport=httpx.HTTPTransport(uds=str(podman.socket)),
        base_url="http://podman/v4.0.0/libpod",
        timeout=120,
    )


def inspect_project(podman: Podman) -> list[dict[str, Any]]:
    """Every container of the project, as ``podman inspect`` describes it."""
    label = json.dumps({"label": [f"com.docker.compose.project={PROJECT}"]})
    with api(podman) as client:
        listing = client.get("/containers/json", params={"all": "true", "filters": label})
        listing.raise_for_status()
        described = []
        for item in listing.json():
            found = client.get(f"/containers/{item['Id']}/json")
            if found.status_code == 200:  # not removed meanwhile
                described.append(found.json())
    return described


def service_of(container: Mapping[str, Any]) -> str:
    return str(container["Config"]["Labels"]["com.docker.compose.service"])


def health_of(container: Mapping[str, Any]) -> str:
    """healthy, unhealthy, starting, or "" for a container without a health check."""
    state = container["State"]
    health = state.get("Health") or state.get("Healthcheck") or {}
    return str(health.get("Status", ""))


class HealthChecks(threading.Thread):
    """Runs each running container's health check as the engine does, with systemd timers
    this machine kind does not have: every ``interval`` from the container's start (failures
    within ``start_period`` do not count: podman's rule). docker-compose reads the results for
    `depends_on: condition: service_healthy`."""

    def __init__(self, podman: Podman) -> None:
        super().__init__(name="health-checks", daemon=True)
        self.podman = podman
        self.stopped = threading.Event()
        #: (container, start time) -> (its interval in seconds or None, when the next check is due)
        self.due: dict[tuple[str, int], tuple[float | None, float]] = {}

    def run(self) -> None:
        with api(self.podman) as client:
            while not self.stopped.wait(0.5):
                with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                    self.round(client)

    def round(self, client: httpx.Client) -> None:
        label = json.dumps(
            {"label": [f"com.docker.compose.project={PROJECT}"], "status": ["running"]}
        )
        for item in client.get("/containers/json", params={"filters": label}).json():
            # Keyed by start time too: a restarted container starts its schedule again.
            key = (str(item["Id"]), int(item["StartedAt"]))
            if key not in self.due:
                container = client.get(f"/containers/{key[0]}/json").json()
                check = (container["Config"].get("Healthcheck") or {}).get("Test") or []
                interval = container["Config"].get("Healthcheck", {}).get("Interval") or 30e9
                seconds = float(interval) / 1e9 if check and check[0] != "NONE" else None
                self.due[key] = (seconds, key[1] + (seconds or 0))
            seconds, due = self.due[key]
            if seconds is None or time.time() < due:
                continue
            client.get(f"/containers/{key[0]}/healthcheck")
            self.due[key] = (seconds, time.time() + seconds)

    def stop(self) -> None:
        self.stopped.set()
        self.join(30)


def wait_until(what: str, timeout: float, probe: Any, pause: float = 0.5) -> Any:
    """``probe()`` until it returns something true; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s: {what}"
        time.sleep(pause)


def describe(containers: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(
        f"  {service_of(c):<18} {c['State']['Status']:<9} exit={c['State'].get('ExitCode')} "
        f"health={health_of(c) or '-'} restarts={c.get('RestartCount', 0)}"
        for c in sorted(containers, key=service_of)
    )
