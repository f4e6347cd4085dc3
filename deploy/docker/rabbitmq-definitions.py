"""Writes the definitions RabbitMQ imports at boot: the topology plus the services' accounts.

Run by compose's ``rabbitmq-init`` before ``rabbitmq`` starts (standard library only):
    python rabbitmq-definitions.py TOPOLOGY OUTPUT
TOPOLOGY is deploy/rabbitmq/topology.json (exchanges, quorum queues with their dead-letter
arguments, bindings, and each service account's permissions: generated from the workers by
``python -m devstack.rabbitmq``). The accounts themselves come from the environment: one per
service, ``<SERVICE>_AMQP_PASSWORD`` (IDENTITY_AMQP_PASSWORD...), stored as RabbitMQ stores
passwords (salted SHA-256), never in clear. None is an administrator: a node that imports
definitions at boot creates no default user, so these are the broker's only accounts.
"""

import base64
import hashlib
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any


def password_hash(password: str) -> str:
    """``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def users(passwords: dict[str, str]) -> list[dict[str, Any]]:
    """Accounts with no tag: they can use what their permissions allow, nothing else."""
    return [
        {
            "name": name,
            "password_hash": password_hash(password),
            "hashing_algorithm": "rabbit_password_hashing_sha256",
            "tags": [],
        }
        for name, password in sorted(passwords.items())
    ]


def build(topology: dict[str, Any], passwords: dict[str, str]) -> dict[str, Any]:
    """The topology with the accounts its permissions name, each with its password."""
    names = sorted({p["user"] for p in topology.get("permissions", [])})
    missing = [name for name in names if not passwords.get(name)]
    if missing:
        variables = ", ".join(f"{name.upper()}_AMQP_PASSWORD" for name in missing)
        raise SystemExit(f"rabbitmq-definitions: set {variables}")
    vhosts = sorted({item["vhost"] for kind in ("exchanges", "queues") for item in topology[kind]})
    return {
        "users": users({name: passwords[name] for name in names}),
        "vhosts": [{"name": vhost} for vhost in vhosts],
        **topology,
    }


def dead_letter_policies(vhosts: list[str]) -> list[dict[str, Any]]:
    """RabbitMQ 4 gives a quorum queue with no ``x-delivery-limit`` a limit of 20 deliveries.
    The workers' queues set theirs (3, then the message goes to ``<queue>.dead``); a dead-letter
    queue has no dead-letter exchange of its own, so a message there that an operator's tool
    reads and puts back 20 times would be dropped. This policy lifts the limit on them (-1, "no
    limit", RabbitMQ 4 only: 3.x had no default limit and refuses -1, which is why the scratch
    import of tests/integration, on the machine's 3.x, takes ``build()`` without it)."""
    return [
        {
            "vhost": vhost,
            "name": "dead-letters-kept",
            "pattern": r"\.dead$",
            "apply-to": "queues",
            "definition": {"delivery-limit": -1},
            "priority": 0,
        }
        for vhost in vhosts
    ]


def main() -> None:
    topology_path, output = Path(sys.argv[1]), Path(sys.argv[2])
    topology = json.loads(topology_path.read_text())
    passwords = {
        p["user"]: os.environ.get(f"{p['user'].upper()}_AMQP_PASSWORD", "")
        for p in topology.get("permissions", [])
    }
    document = build(topology, passwords)
    document["policies"] = dead_letter_policies([v["name"] for v in document["vhosts"]])
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".tmp")
    partial.write_text(json.dumps(document, indent=2))
    partial.chmod(0o644)  # read by the rabbitmq user of the broker's container
    partial.replace(output)
    queues, accounts = len(document["queues"]), len(document["users"])
    print(f"rabbitmq-definitions: {queues} queues, {accounts} service accounts")


if __name__ == "__main__":
    main()
