"""The broker's definitions, from the workers' own subscriptions and publications.

    python -m devstack.rabbitmq > deploy/rabbitmq/topology.json

Every worker's queues (``<service>.worker.subscriptions``) with their bindings, the events
exchange and the dead-letter exchange, and what each service's account may do
(``<service>.worker.publishes``: the routing keys it may publish; its bindings: the keys it may
read), as RabbitMQ definitions (kit.events.topology). Compose adds the accounts themselves,
with their passwords, at start (deploy/docker/rabbitmq-definitions.py) and RabbitMQ imports the
result at boot. tests/test_compose.py fails when the file is out of date.

A local stack (``make run``, the tests) gets the same accounts on the machine's RabbitMQ,
named ``<stack prefix><service>`` with passwords of its own: ``provision``.
"""

import asyncio
import importlib
import importlib.util
import json
import secrets
import subprocess
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import aio_pika

from devstack.stack import ROOT, SERVICES
from kit.events.topology import Account, definitions, permissions
from kit.worker import Subscription


def _worker(service: str) -> tuple[ModuleType, Any]:
    worker = importlib.import_module(f"{service}.worker")
    config = importlib.import_module(f"{service}.config")
    return worker, config.get_settings()


def worker_queues() -> list[tuple[str, list[str]]]:
    """(queue, routing keys) of every worker of the platform, as ``run_worker`` declares them
    on the production exchange ``events``."""
    queues = []
    for spec in SERVICES:
        worker, settings = _worker(spec.name)
        subscriptions: list[Subscription] = worker.subscriptions(settings)
        queues += [(sub.queue, sub.routing_keys) for sub in subscriptions]
    return queues


def accounts(prefix: str = "") -> list[Account]:
    """Each service's account: what it publishes and what its queues are bound to."""
    found = []
    for spec in SERVICES:
        worker, settings = _worker(spec.name)
        subscriptions: list[Subscription] = worker.subscriptions(settings)
        reads = [key for sub in subscriptions for key in sub.routing_keys]
        found.append(Account(spec.name, worker.publishes(settings), reads, prefix))
    return found


def init_script() -> ModuleType:
    """deploy/docker/rabbitmq-definitions.py, the script of compose's ``rabbitmq-init`` (it runs
    alone in its container, so it is a file, not a module of this package), loaded as a
    module for the tests."""
    path = ROOT / "deploy" / "docker" / "rabbitmq-definitions.py"
    spec = importlib.util.spec_from_file_location("rabbitmq_definitions", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def topology() -> dict[str, Any]:
    return definitions(worker_queues()) | permissions(accounts())


def render() -> str:
    return json.dumps(topology(), indent=2) + "\n"


def stack_prefix(exchange: str) -> str:
    """Account names of a stack: ``orders`` for the stack on ``events`` (``make run``),
    ``e2e.orders`` for one on ``e2e.events``, so that stacks sharing a broker never share an
    account (each account's permissions name its own stack's exchange and queues)."""
    return "" if exchange == "events" else exchange.removesuffix(".events") + "."


def import_definitions(document: dict[str, Any]) -> None:
    """``rabbitmqctl import_definitions``, from a file the broker's own user can read (Debian's
    rabbitmqctl runs as the rabbitmq user); the file holds salted hashes only, and goes."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir="/tmp") as file:
        file.write(json.dumps(document))
        file.flush()
        Path(file.name).chmod(0o644)
        result = subprocess.run(
            ["rabbitmqctl", "-q", "import_definitions", file.name],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    if result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl import_definitions failed: {result.stderr[-2000:]}")


def provision(exchange: str) -> dict[str, str]:
    """Create (or update) the stack's five accounts on the machine's RabbitMQ, each with a new
    random password and the permissions of deploy/rabbitmq/topology.json for this stack's
    exchange, and the stack's queues and bindings, as compose's broker does at boot: an event
    a worker publishes before the worker that reads it first ran (the declarations privacy
    gathers at start) waits in its queue instead of going back to the outbox for a while.
    Returns service -> password."""
    passwords = {spec.name: secrets.token_urlsafe(24) for spec in SERVICES}
    prefix = stack_prefix(exchange)
    queue_prefix = "" if exchange == "events" else f"{exchange}."
    build = init_script().users
    document = {
        "users": build({prefix + name: password for name, password in passwords.items()}),
        **permissions(accounts(prefix), exchange=exchange),
        **definitions(
            [(queue_prefix + queue, keys) for queue, keys in worker_queues()], exchange=exchange
        ),
    }
    import_definitions(document)
    return passwords


def deprovision(exchange: str, amqp_url: str) -> int:
    """Remove a test stack's queues and exchanges from the machine's RabbitMQ once the stack
    has stopped (never the local run's, on ``events``): without it every stack ever started
    leaves its quorum queues behind, and a few hundred of them slow the broker for everyone.
    ``amqp_url`` is an account that may delete them (the machine's administrator). Returns how
    many queues went."""
    if exchange == "events":
        return 0
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "name", "--no-table-headers"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    names = [n for n in listed.stdout.split() if n.startswith(f"{exchange}.")]
    return asyncio.run(_delete(amqp_url, names, [exchange]))


async def _delete(amqp_url: str, queues: list[str], exchanges: list[str]) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            await channel.queue_delete(name)
        for name in exchanges:
            await channel.exchange_delete(name)
    return len(queues)


if __name__ == "__main__":
    print(render(), end="")
