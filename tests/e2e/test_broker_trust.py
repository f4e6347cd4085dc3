"""Inside the platform: one service's broker credentials cannot speak for another service.

With the orders service's own RabbitMQ account (as a compromised orders container would have
it), on the running stack: the broker refuses every routing key orders does not own (a
data-subject command, an account mail, another service's mail or event) and any message
naming another account; what orders may publish but not say (an answer in identity's name,
an order event from "subsidies") is refused by the consumers. Nothing changes: no export
sealed to the attacker, no account erased or mailed, the waiting task still waits.
"""

import asyncio
import time
from typing import Any

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused, ChannelPreconditionFailed
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kit.crypto import public_key_text
from kit.events import Envelope
from kit.events.broker import account_of
from tests.conftest import AMQP_URL
from tests.e2e.conftest import EXCHANGE, Platform
from tests.e2e.test_privacy import new_employee

pytestmark = pytest.mark.e2e

QUEUE_PREFIX = f"{EXCHANGE}."


def mails(platform: Platform) -> set[str]:
    folder = platform.var_dir / "mail"
    return {p.name for p in folder.glob("*.eml")} if folder.exists() else set()


async def dead_letters(queue: str) -> int:
    """Messages in ``<queue>.dead`` of this stack (read with the broker's admin account)."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_queue(f"{QUEUE_PREFIX}{queue}.dead", passive=True)
        return dead.declaration_result.message_count or 0


async def refused_by_broker(url: str, routing_key: str, envelope: Envelope) -> str:
    """Publish as the account of ``url``; returns how RabbitMQ refused it (fails if it took it)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EXCHANGE, ensure=False)
        message = aio_pika.Message(envelope.model_dump_json().encode(), user_id=account_of(url))
        try:
            await exchange.publish(message, routing_key=routing_key)
        except ChannelAccessRefused as exc:
            return f"ACCESS_REFUSED {routing_key}: {exc}"
    raise AssertionError(f"the broker took {routing_key} from {account_of(url)}")


async def publish_allowed(url: str, routing_key: str, envelope: Envelope) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EXCHANGE, ensure=False)
        message = aio_pika.Message(envelope.model_dump_json().encode(), user_id=account_of(url))
        await exchange.publish(message, routing_key=routing_key)


async def spoofed_account(url: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EXCHANGE, ensure=False)
        with pytest.raises(ChannelPreconditionFailed):
            await exchange.publish(
                aio_pika.Message(b"{}", user_id=account_of(url).replace("orders", "privacy")),
                routing_key="order.paid",
            )


def wait_for(predicate: Any, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_orders_credentials_cannot_command_mail_or_speak_for_another_service(
    platform: Platform,
) -> None:
    url = platform.service_env("orders")["AMQP_URL"]
    assert account_of(url).endswith("orders") and account_of(url) != account_of(AMQP_URL)
    email, _last, victim = new_employee(platform, first="Victor")
    person = platform.login(email)
    tenant = person.get("/api/auth/me").json()["tenant"]
    attacker = public_key_text(X25519PrivateKey.generate())
    mails_before = mails(platform)

    def command(action: str) -> Envelope:
        payload = {"request_id": "forged", "action": action, "subject": victim, "tenant": tenant}
        return Envelope(
            type="dsr.command",
            source="privacy",
            tenant=tenant,
            subject=victim,
            payload=payload | {"seal_to": attacker},
        )

    mail = Envelope(
        type="account.mail",
        source="privacy",
        tenant=tenant,
        payload={
            "subject": "Reset your password",
            "text": "Click here",
            "marketing": False,
            "recipients": [{"subject": victim, "footer": ""}],
        },
    )
    identity_mail = Envelope(
        type="mail.requested",
        source="identity",
        tenant=tenant,
        payload={"to": email, "subject": "Hello", "text": "Click here"},
    )
    deleted = Envelope(type="user.deleted", source="identity", tenant=tenant, subject=victim)
    refusals = [
        asyncio.run(refused_by_broker(url, "dsr.command.identity", command("export"))),
        asyncio.run(refused_by_broker(url, "dsr.command.subsidies", command("export"))),
        asyncio.run(refused_by_broker(url, "dsr.command.identity", command("erase"))),
        asyncio.run(refused_by_broker(url, "account.mail.identity", mail)),
        asyncio.run(refused_by_broker(url, "mail.requested.identity", identity_mail)),
        asyncio.run(refused_by_broker(url, "user.deleted", deleted)),
    ]
    assert len(refusals) == 6
    asyncio.run(spoofed_account(url))

    # Keys orders may publish, with what is not orders' to say: refused by the consumers.
    dead_before = asyncio.run(dead_letters("subsidies.orders"))
    foreign_order = Envelope(
        type="order.cancelled", source="subsidies", tenant=tenant, payload={"order_id": "x"}
    )
    asyncio.run(publish_allowed(url, "order.cancelled", foreign_order))
    assert wait_for(lambda: asyncio.run(dead_letters("subsidies.orders")) == dead_before + 1)

    # The victim, an account and a person's own sign-in: untouched; no mail went out.
    time.sleep(1)
    assert person.get("/api/auth/me").status_code == 200
    assert mails(platform) == mails_before
    logs = (platform.var_dir / "logs" / "subsidies-worker.log").read_text()
    assert '"security_event": "broker.refused"' in logs
    assert email not in logs


def test_an_answer_in_another_services_name_leaves_the_task_waiting(platform: Platform) -> None:
    """identity's worker is stopped, so the access request's identity task waits; orders then
    answers it: once claiming to be identity (refused: the account is orders'), once as
    orders naming identity in the answer (ignored: a service answers for itself)."""
    url = platform.service_env("orders")["AMQP_URL"]
    email, _last, _victim = new_employee(platform, first="Wanda")
    person = platform.login(email)
    worker = platform.stack.process("identity-worker")
    worker.stop()
    try:
        filed = person.post("/api/privacy/requests", json={"type": "access"})
        assert filed.status_code == 202, filed.text
        request_id = filed.json()["id"]

        def status() -> dict[str, Any]:
            body: dict[str, Any] = person.get(f"/api/privacy/requests/{request_id}").json()
            return body

        assert wait_for(
            lambda: all(
                state == "done"
                for name, state in status()["services"].items()
                if name != "identity"
            )
        ), status()
        dead_before = asyncio.run(dead_letters("privacy.events"))
        answer = {
            "request_id": request_id,
            "action": "export",
            "service": "identity",
            "status": "done",
            "result": {"tables": {}},
        }
        for source in ("identity", "orders"):
            forged = Envelope(type="dsr.answered", source=source, payload=answer)
            asyncio.run(publish_allowed(url, "dsr.answered.privacy", forged))
        assert wait_for(lambda: asyncio.run(dead_letters("privacy.events")) == dead_before + 1)
        time.sleep(1)
        assert status()["services"]["identity"] == "waiting"
        assert status()["status"] == "in_progress"
        logs = (platform.var_dir / "logs" / "privacy-worker.log").read_text()
        assert '"security_event": "broker.impersonation"' in logs
    finally:
        worker.start()
    # identity's own answer, once it is back, completes the request.
    assert wait_for(lambda: status()["status"] == "completed", timeout=60), status()
