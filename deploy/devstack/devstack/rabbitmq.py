"""The broker's definitions, from the workers' own subscriptions.

    python -m devstack.rabbitmq > deploy/rabbitmq/topology.json

Every worker's queues (``<service>.worker.subscriptions``) with their bindings, the events
exchange and the dead-letter exchange, as RabbitMQ definitions (kit.events.topology). Compose
adds the services' account to it at start (deploy/docker/rabbitmq-definitions.py) and RabbitMQ
imports the result at boot. tests/test_compose.py fails when the file is out of date.
"""

import importlib
import importlib.util
import json
from types import ModuleType
from typing import Any

from devstack.stack import ROOT, SERVICES
from kit.events.topology import definitions
from kit.worker import Subscription


def worker_queues() -> list[tuple[str, list[str]]]:
    """(queue, routing keys) of every worker of the platform, as ``run_worker`` declares them
    on the production exchange ``events``."""
    queues = []
    for spec in SERVICES:
        worker = importlib.import_module(f"{spec.name}.worker")
        config = importlib.import_module(f"{spec.name}.config")
        subscriptions: list[Subscription] = worker.subscriptions(config.get_settings())
        for sub in subscriptions:
            keys = list(sub.bindings) if sub.bindings is not None else list(sub.handlers)
            queues.append((sub.queue, keys))
    return queues


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
    return definitions(worker_queues())


def render() -> str:
    return json.dumps(topology(), indent=2) + "\n"


if __name__ == "__main__":
    print(render(), end="")
