"""Writes the definitions RabbitMQ imports at boot: the topology plus the services' account.

Run by compose's ``rabbitmq-init`` before ``rabbitmq`` starts (standard library only):
    python rabbitmq-definitions.py TOPOLOGY OUTPUT
TOPOLOGY is deploy/rabbitmq/topology.json (exchanges, quorum queues with their dead-letter
arguments, bindings: generated from the workers by ``python -m devstack.rabbitmq``). The
account comes from RABBITMQ_USER and RABBITMQ_PASSWORD, stored as RabbitMQ stores passwords
(salted SHA-256), never in clear: a node that imports definitions at boot creates no default
user, so the account must be in them.
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


def build(topology: dict[str, Any], user: str, password: str) -> dict[str, Any]:
    if not user or not password or user == "guest":
        raise SystemExit("rabbitmq-definitions: set RABBITMQ_USER (not guest), RABBITMQ_PASSWORD")
    vhosts = sorted({item["vhost"] for kind in ("exchanges", "queues") for item in topology[kind]})
    return {
        "users": [
            {
                "name": user,
                "password_hash": password_hash(password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": ["administrator"],
            }
        ],
        "vhosts": [{"name": vhost} for vhost in vhosts],
        "permissions": [
            {"user": user, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
            for vhost in vhosts
        ],
        **topology,
    }


def main() -> None:
    topology_path, output = Path(sys.argv[1]), Path(sys.argv[2])
    document = build(
        json.loads(topology_path.read_text()),
        os.environ.get("RABBITMQ_USER", ""),
        os.environ.get("RABBITMQ_PASSWORD", ""),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".tmp")
    partial.write_text(json.dumps(document, indent=2))
    partial.chmod(0o644)  # read by the rabbitmq user of the broker's container
    partial.replace(output)
    queues, user = len(document["queues"]), document["users"][0]["name"]
    print(f"rabbitmq-definitions: {queues} queues, account {user}")


if __name__ == "__main__":
    main()
