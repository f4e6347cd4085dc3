"""``python -m devstack run``: the platform in the foreground until Ctrl-C (``make run``)."""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from types import FrameType
from urllib.parse import urlparse

from devstack.stack import Stack, StackConfig, wait_for_tcp
from identity.config import get_settings
from identity.seed import DEFAULT_DEMO_PASSWORD

ACCOUNTS = [
    ("admin@demo.test", "tenant admin", "demo"),
    ("dpo@demo.test", "DPO", "demo"),
    ("agent@demo.test", "support agent", "demo"),
    ("alice@demo.test", "employee", "demo"),
    ("bob@demo.test", "employee", "demo"),
    ("carol@other.test", "employee", "other"),
]


def ensure_rabbitmq(url: str) -> None:
    """RabbitMQ from the machine: started when installed but stopped."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5672
    if wait_for_tcp(host, port, timeout=1):
        return
    if host not in ("127.0.0.1", "localhost") or not shutil.which("rabbitmq-server"):
        sys.exit(f"RabbitMQ is not reachable at {host}:{port}; run `make deps` or set AMQP_URL")
    print("[run] starting RabbitMQ (rabbitmq-server -detached)")
    subprocess.run(["rabbitmq-server", "-detached"], check=False)
    if not wait_for_tcp(host, port, timeout=60):
        sys.exit("RabbitMQ did not start within 60 s")


def run() -> None:
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    totp_secret = get_settings().demo_totp_secret
    config = StackConfig(
        https_port=int(os.environ.get("GATEWAY_HTTPS_PORT", "8443")),
        http_port=int(os.environ.get("GATEWAY_HTTP_PORT", "8080")),
        amqp_url=os.environ.get("AMQP_URL", StackConfig.amqp_url),
        demo_password=password,
    )
    ensure_rabbitmq(config.amqp_url)
    stack = Stack(config)
    print("[run] preparing var/ (certificate, migrations, demo data, gateway configuration)")
    stack.prepare()
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
        print(f"\nPlatform ready: {config.origin}  (http://localhost:{config.http_port} redirects)")
        print("Self-signed certificate: your browser will ask you to accept it once.\n")
        print(f"Demo accounts (password: {password}):")
        for email, role, tenant in ACCOUNTS:
            print(f"  tenant {tenant:<6} {email:<20} {role}")
        print(
            f"Staff accounts (admin, dpo, agent) log in with a second step: add the TOTP secret "
            f'{totp_secret} to an authenticator app (or: python -c "import pyotp; '
            f"print(pyotp.TOTP('{totp_secret}').now())\")."
        )
        print(f"\nLogs: {config.var_dir / 'logs'}   Stop: Ctrl-C\n")
        while not stopping:
            stack.supervise_once()
            time.sleep(0.5)
    finally:
        print("\n[run] stopping")
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    parser.add_argument("command", choices=["run"])
    parser.parse_args()
    run()


if __name__ == "__main__":
    main()
