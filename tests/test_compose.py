"""docker-compose.yml: valid, refuses to start without secrets, exposes only the gateway."""

import base64
import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.rabbitmq import init_script, render, worker_queues
from tests.test_production_settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]

#: Every container running Python service code: the APIs and their event workers.
PYTHON_SERVICES = (
    "identity",
    "identity-worker",
    "orders",
    "orders-worker",
    "subsidies",
    "subsidies-worker",
    "support",
    "support-worker",
    "privacy",
    "privacy-worker",
)
SERVICES = ("identity", "orders", "subsidies", "support", "privacy")
WORKERS = {f"{name}-worker": name for name in SERVICES}


def compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker-compose", *args], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    result = compose("--env-file", ".env.example", "-f", "docker-compose.yml", "config")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def mount(volume: str | dict[str, Any]) -> tuple[str, str]:
    """(source, target) of a volume in either syntax (docker-compose v1 prints the short one)."""
    if isinstance(volume, str):
        source, target = volume.split(":")[:2]
        return source, target
    return str(volume["source"]), str(volume["target"])


def test_compose_refuses_to_start_without_secrets() -> None:
    result = compose("-f", "docker-compose.yml", "config", "-q", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


@pytest.mark.parametrize(
    "variable", ["PRIVACY_DB_PASSWORD", "SUBJECT_KEY", "PRIVACY_ARCHIVE_SECRET", "BACKUP_KEY"]
)
def test_new_secrets_are_required(tmp_path: Path, variable: str) -> None:
    values = {k: v for k, v in env_example().items() if k != variable}
    env_file = tmp_path / "env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    args = ("--env-file", str(env_file), "-f", "docker-compose.yml", "config", "-q")
    result = compose(*args, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert variable in result.stderr


def test_only_the_gateway_is_published(config: dict[str, Any]) -> None:
    published = {name for name, svc in config["services"].items() if svc.get("ports")}
    # The monitoring profile's Grafana, on the loopback only: tests/test_monitoring.py.
    assert published - {"grafana"} == {"gateway"}
    assert config["networks"]["internal"].get("internal") is True
    # Identity's API alone has a way out too (`egress`, nothing published): it calls the client
    # companies' OpenID providers for sign-in with their directory.
    assert set(config["services"]["identity"]["networks"]) == {"internal", "egress"}
    assert "ports" not in config["services"]["identity"]
    for name in ("postgres", "rabbitmq", *PYTHON_SERVICES):
        if name != "identity":
            assert list(config["services"][name]["networks"]) == ["internal"]


def test_services_run_in_production_mode_with_one_database_each(config: dict[str, Any]) -> None:
    for name in SERVICES:
        env = config["services"][name]["environment"]
        assert env["ENVIRONMENT"] == "production"
        assert env["DATABASE_URL"].startswith(f"postgresql+asyncpg://{name}:")
        assert env["DATABASE_URL"].endswith(f"@postgres:5432/{name}")
        assert "healthcheck" in config["services"][name]
        postgres = config["services"]["postgres"]["environment"]
        assert (
            postgres[f"{name.upper()}_DB_PASSWORD"] == env_example()[f"{name.upper()}_DB_PASSWORD"]
        )
    init = (ROOT / "deploy/docker/postgres-init.sh").read_text()
    match = re.search(r"^SERVICES=\((.*)\)$", init, re.MULTILINE)
    assert match is not None
    assert set(match.group(1).split()) == set(SERVICES)


def test_every_python_container_shares_subject_key_and_production_mode(
    config: dict[str, Any],
) -> None:
    expected = env_example()["SUBJECT_KEY"]
    for name in PYTHON_SERVICES:
        environment = config["services"][name]["environment"]
        assert environment["ENVIRONMENT"] == "production", name
        assert environment["SUBJECT_KEY"] == expected, name


def test_workers_share_their_api_image_and_environment(config: dict[str, Any]) -> None:
    services = config["services"]
    for worker, api in WORKERS.items():
        svc = services[worker]
        assert "ports" not in svc and "expose" not in svc
        assert svc["command"] == ["python", "-m", f"{api}.worker"]
        assert svc["image"] == services[api]["image"] == f"platform/{api}:local"
        assert svc["build"]["args"] == {"SERVICE": api}
        assert svc["environment"] == services[api]["environment"]
        # The API migrates the database: the worker waits until it is healthy.
        assert svc["depends_on"][api] == {"condition": "service_healthy"}
        # No HTTP server in a worker: the image's /healthz check is turned off.
        healthcheck = svc["healthcheck"]
        assert healthcheck.get("disable") is True or healthcheck.get("test") == ["NONE"]


def test_privacy_keeps_exports_keys_and_journal_in_volumes(config: dict[str, Any]) -> None:
    for name in ("privacy", "privacy-worker"):
        svc = config["services"][name]
        assert svc["environment"]["EXPORTS_DIR"] == "/exports"
        assert svc["environment"]["KEYS_DIR"] == "/keys"
        assert svc["environment"]["JOURNAL_PATH"] == "/journal/erasures.jsonl"
        assert svc["environment"]["ARCHIVE_SECRET"] == env_example()["PRIVACY_ARCHIVE_SECRET"]
        mounts = {mount(m) for m in svc["volumes"]}
        assert mounts == {
            ("privacy-exports", "/exports"),
            ("privacy-keys", "/keys"),
            ("privacy-journal", "/journal"),
        }
    assert {"privacy-exports", "privacy-keys", "privacy-journal"} <= set(config["volumes"])


def test_gateway_sets_every_template_variable(config: dict[str, Any]) -> None:
    used: set[str] = set()
    for template in (ROOT / "gateway/templates").glob("*.template"):
        used |= set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", template.read_text()))
    gateway = config["services"]["gateway"]
    assert "PRIVACY_UPSTREAM" in used
    assert used <= set(gateway["environment"])
    assert gateway["environment"]["PRIVACY_UPSTREAM"] == "privacy:8000"
    assert gateway["depends_on"]["privacy"] == {"condition": "service_healthy"}


def test_mails_go_to_the_stacks_own_sink_unless_a_relay_is_set(config: dict[str, Any]) -> None:
    sink = config["services"]["mail-sink"]
    assert "ports" not in sink and set(sink["networks"]) == {"internal"}  # never published
    for name in ("identity", "identity-worker", "orders", "orders-worker"):
        env = config["services"][name]["environment"]
        assert (env["SMTP_HOST"], str(env["SMTP_PORT"])) == ("mail-sink", "1025")


def test_the_broker_loads_its_definitions_at_boot(config: dict[str, Any]) -> None:
    """RabbitMQ imports the topology and the account before any worker runs: no default user
    (a node importing definitions at boot creates none), the account comes from the init."""
    rabbitmq = config["services"]["rabbitmq"]
    mounts = dict(mount(v)[::-1] for v in rabbitmq["volumes"])
    assert mounts["/etc/rabbitmq/definitions"] == "rabbitmq-definitions"
    conf = Path(mounts["/etc/rabbitmq/conf.d/20-definitions.conf"])
    assert "load_definitions = /etc/rabbitmq/definitions/definitions.json" in conf.read_text()
    limits = Path(mounts["/etc/rabbitmq/conf.d/30-limits.conf"]).read_text()
    assert "raft.wal_max_size_bytes = 67108864" in limits.splitlines()
    assert "RABBITMQ_DEFAULT_USER" not in (rabbitmq.get("environment") or {})
    assert rabbitmq["depends_on"]["rabbitmq-init"]["condition"] == "service_completed_successfully"
    init = config["services"]["rabbitmq-init"]
    assert init["network_mode"] == "none"
    init_mounts = dict(mount(v)[::-1] for v in init["volumes"])
    assert init_mounts["/definitions"] == "rabbitmq-definitions"
    assert Path(init_mounts["/opt/topology.json"]) == ROOT / "deploy" / "rabbitmq" / "topology.json"
    assert set(init["environment"]) == {f"{s.upper()}_AMQP_PASSWORD" for s in SERVICES}


def test_each_service_has_its_own_broker_account_and_the_backup_none(
    config: dict[str, Any],
) -> None:
    """One account per service, no administrator, each allowed its own queues and routing
    keys only; privacy's sealing key is configuration; the backup job needs no broker."""
    services = config["services"]
    for name in PYTHON_SERVICES:
        service = name.removesuffix("-worker")
        env = services[name]["environment"]
        assert env["AMQP_URL"].startswith(f"amqp://{service}:"), name
        assert env["PRIVACY_SEAL_KEY"], name
    assert "SEAL_PRIVATE_KEY" in services["privacy"]["environment"]
    assert "SEAL_PRIVATE_KEY" not in services["orders"]["environment"]
    assert services["backup"]["environment"]["AMQP_URL"] == ""
    document = init_script().build(json.loads(render()), {name: "a-password" for name in SERVICES})
    assert sorted(u["name"] for u in document["users"]) == sorted(SERVICES)
    assert all(u["tags"] == [] for u in document["users"])  # no administrator
    topics = {t["user"]: t for t in document["topic_permissions"]}
    assert re.fullmatch(topics["privacy"]["write"], "dsr.command.orders")
    for service in ("identity", "orders", "subsidies", "support"):
        assert not re.fullmatch(topics[service]["write"], "dsr.command.identity"), service
        assert not re.fullmatch(topics[service]["write"], "account.mail.identity"), service
        assert re.fullmatch(topics[service]["write"], "dsr.answered.privacy"), service
    assert not re.fullmatch(topics["orders"]["read"], "dsr.command.identity")
    assert not re.fullmatch(topics["subsidies"]["write"], "order.paid")


def test_the_broker_topology_file_matches_the_workers() -> None:
    """deploy/rabbitmq/topology.json is what the workers declare: regenerate it with
    `python -m devstack.rabbitmq > deploy/rabbitmq/topology.json` when a queue changes."""
    assert (ROOT / "deploy" / "rabbitmq" / "topology.json").read_text() == render()
    queues = dict(worker_queues())
    # Every service's data-subject queue, and the answers privacy collects.
    assert {f"{name}.dsr" for name in SERVICES} <= set(queues) | {"privacy.dsr"}
    topology = json.loads(render())
    by_name = {q["name"]: q for q in topology["queues"]}
    for name in queues:
        assert by_name[name]["arguments"]["x-queue-type"] == "quorum"
        assert by_name[name]["arguments"]["x-dead-letter-exchange"] == "events.dead"
        assert by_name[f"{name}.dead"]["arguments"] == {"x-queue-type": "quorum"}


def test_the_definitions_hold_the_accounts_hashed_never_in_clear() -> None:
    module = init_script()
    topology = json.loads(render())
    passwords = {name: f"s3cret-{name}" for name in SERVICES}
    document = module.build(topology, passwords)
    assert not any(pw in json.dumps(document) for pw in passwords.values())
    for user in document["users"]:
        raw = base64.b64decode(user["password_hash"])
        salt, digest = raw[:4], raw[4:]
        assert digest == hashlib.sha256(salt + passwords[user["name"]].encode()).digest()
        assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    assert all(p["configure"] != ".*" for p in document["permissions"])
    with pytest.raises(SystemExit, match="ORDERS_AMQP_PASSWORD"):
        module.build(topology, passwords | {"orders": ""})


def test_a_daily_backup_of_every_database_with_its_own_role(config: dict[str, Any]) -> None:
    backup = config["services"]["backup"]
    assert backup["build"]["dockerfile"] == "deploy/docker/Dockerfile.backup"
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile.backup").read_text()
    assert "postgresql-client" in dockerfile
    assert '"schedule", "--at", "02:30", "--keep-days", "35"' in dockerfile
    env = backup["environment"]
    assert env["BACKUP_KEY"] == env_example()["BACKUP_KEY"]
    urls = json.loads(env["BACKUP_URLS"])
    assert set(urls) == set(SERVICES)
    for name, url in urls.items():
        assert url == config["services"][name]["environment"]["DATABASE_URL"]
    # A restore erases again from privacy's journal, with privacy's settings.
    assert env["JOURNAL_PATH"] == "/journal/erasures.jsonl"
    assert env["SUBJECT_KEY"] == config["services"]["privacy"]["environment"]["SUBJECT_KEY"]
    mounts = dict(mount(v)[::-1] for v in backup["volumes"])
    assert mounts == {"/data/backups": "backups", "/journal": "privacy-journal"}
    assert not backup.get("ports")
    assert list(backup["networks"]) == ["internal"]


def test_long_running_containers_restart_and_one_shots_do_not(config: dict[str, Any]) -> None:
    one_shots = {"tls-init", "rabbitmq-init"}
    for name, svc in config["services"].items():
        expected = "no" if name in one_shots else "unless-stopped"
        assert svc.get("restart") == expected, name
    # What others wait for reports its health: the databases, the broker, the APIs, the gateway.
    for name in ("postgres", "rabbitmq", "gateway", *SERVICES):
        assert "test" in config["services"][name]["healthcheck"], name


def test_images_are_versions_that_receive_security_fixes(config: dict[str, Any]) -> None:
    """Issue 17: PostgreSQL 17, RabbitMQ 4, Nginx 1.26 or later (1.30, the stable branch),
    Python 3.13 on Debian 13; the backup's pg_dump of the server's major version."""
    services = config["services"]
    assert services["postgres"]["image"] == "postgres:17-trixie"
    assert re.fullmatch(r"rabbitmq:4\.\d+-alpine", services["rabbitmq"]["image"])
    nginx = re.fullmatch(r"nginx:1\.(\d+)-alpine", services["gateway"]["image"])
    assert nginx is not None and int(nginx.group(1)) >= 26
    base = "ARG PYTHON_IMAGE=python:3.13-slim-trixie\nFROM ${PYTHON_IMAGE}\n"
    for name in ("Dockerfile", "Dockerfile.backup"):
        assert base in (ROOT / "deploy" / "docker" / name).read_text(), name
    assert "postgresql-client-17" in (ROOT / "deploy/docker/Dockerfile.backup").read_text()


def test_no_container_is_left_with_a_local_run_address(config: dict[str, Any]) -> None:
    """Every URL setting whose default is the local run's (127.0.0.1) is set in compose, to a
    service of the internal network: privacy once asked 127.0.0.1:8101 for accounts (503)."""
    for name in PYTHON_SERVICES:
        settings = SETTINGS[name.removesuffix("-worker")]
        env = config["services"][name]["environment"]
        for field, info in settings.model_fields.items():
            default = info.default
            if field.endswith("_url") and isinstance(default, str) and "127.0.0.1" in default:
                value = env.get(field.upper(), "")
                assert value and "127.0.0.1" not in value and "localhost" not in value, (
                    name,
                    field,
                )


def test_health_checks_have_no_argument_with_spaces(config: dict[str, Any]) -> None:
    """Podman's Docker-compatible API splits an exec-form health check's arguments on spaces
    (the compose test met `python -c "import ..."` broken in pieces): one word per argument."""
    for name, svc in config["services"].items():
        test = (svc.get("healthcheck") or {}).get("test") or []
        if test and test[0] == "CMD":
            assert all(" " not in argument for argument in test), name
    assert 'CMD ["service-healthcheck"]' in (ROOT / "deploy/docker/Dockerfile").read_text()


def test_the_compose_test_changes_only_images_and_staging() -> None:
    """deploy/compose-test/docker-compose.test.yml: the stand-in images, and staging on every
    Python container (the sandboxes); nothing else of what operators run."""
    override = yaml.safe_load((ROOT / "deploy/compose-test/docker-compose.test.yml").read_text())
    for name, svc in override["services"].items():
        if name in ("postgres", "rabbitmq", "gateway"):
            assert set(svc) == {"image"}, name
        elif name == "mail-sink":
            assert set(svc) == {"image", "command"}
        else:
            assert name in (*PYTHON_SERVICES, "backup"), name
            assert svc == {"environment": {"ENVIRONMENT": "staging"}}, name
    assert set(override["services"]) >= {*PYTHON_SERVICES, "backup"}


def test_dead_letter_queues_have_no_delivery_limit_on_rabbitmq_4(tmp_path: Path) -> None:
    """RabbitMQ 4 gives quorum queues a delivery limit of 20 by default: the definitions lift
    it on the dead-letter queues, whose messages have nowhere else to go."""
    env = {"PATH": "/usr/bin:/bin"} | {f"{s.upper()}_AMQP_PASSWORD": f"pw-{s}" for s in SERVICES}
    output = tmp_path / "definitions.json"
    script = ROOT / "deploy" / "docker" / "rabbitmq-definitions.py"
    topology = ROOT / "deploy" / "rabbitmq" / "topology.json"
    subprocess.run(
        ["python3", str(script), str(topology), str(output)], env=env, check=True, cwd=tmp_path
    )
    document = json.loads(output.read_text())
    (policy,) = document["policies"]
    assert policy["definition"] == {"delivery-limit": -1}
    dead = [q["name"] for q in document["queues"] if re.search(policy["pattern"], q["name"])]
    assert dead == [q["name"] for q in document["queues"] if q["name"].endswith(".dead")]
    assert all(
        q["arguments"]["x-delivery-limit"] == 3 for q in document["queues"] if q["name"] not in dead
    )
