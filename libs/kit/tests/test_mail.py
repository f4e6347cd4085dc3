"""Mail to a relay over TLS with an account (STARTTLS and implicit TLS), against a local test
server whose certificate the client is made to trust (``SSL_CERT_FILE``)."""

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from devstack.tls import ensure_certificate
from kit.events import Envelope
from kit.mail import MAIL, Connections, mail_sender
from kit.settings import ServiceSettings, SmtpTls

USER, PASSWORD = "platform", "Relay-Password-From-The-Vault"


@dataclass
class Relay:
    """What the test server saw: the messages, and whether each came over TLS, logged in."""

    received: list[tuple[bytes, bool, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        # STARTTLS sets the session's ``ssl``; implicit TLS is the transport's from the start.
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        self.received.append((envelope.content, tls, bool(session.authenticated)))
        return "250 OK"


def authenticate(
    _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (its own trust anchor), as a local run makes
    for its gateway."""
    return ensure_certificate(tmp_path_factory.mktemp("tls"), days=1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """The server's TLS context; the client's default context trusts its certificate."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@dataclass
class Server:
    relay: Relay
    port: int


def serve(**kwargs: Any) -> Iterator[Server]:
    relay, port = Relay(), free_port()
    controller = Controller(
        relay, hostname="127.0.0.1", port=port, authenticator=authenticate, **kwargs
    )
    controller.start()
    try:
        yield Server(relay, port)
    finally:
        controller.stop()


@pytest.fixture
def starttls_server(trusted: ssl.SSLContext) -> Iterator[Server]:
    yield from serve(tls_context=trusted, require_starttls=True, auth_require_tls=True)


@pytest.fixture
def implicit_server(trusted: ssl.SSLContext) -> Iterator[Server]:
    # aiosmtpd counts only STARTTLS as TLS for AUTH: its implicit TLS has to waive the check.
    yield from serve(ssl_context=trusted, server_hostname="localhost", auth_require_tls=False)


@pytest.fixture
def clear_server() -> Iterator[Server]:
    """A server that offers no STARTTLS (a relay stripped of it on the way)."""
    yield from serve(auth_require_tls=False)


async def send(port: int, tls: SmtpTls, *, user: str = USER) -> None:
    settings = ServiceSettings(
        smtp_host="localhost",
        smtp_port=port,
        smtp_tls=tls,
        smtp_user=user,
        smtp_password=SecretStr(PASSWORD),
    )
    envelope = Envelope(
        type=MAIL, source="test", payload={"to": "a@b.test", "subject": "Hi", "text": "Body"}
    )
    await mail_sender(settings)(cast(AsyncSession, None), envelope)


async def test_starttls_then_login(starttls_server: Server) -> None:
    await send(starttls_server.port, "starttls")
    [(content, tls, authenticated)] = starttls_server.relay.received
    assert tls and authenticated
    assert b"Subject: Hi" in content


async def test_implicit_tls_then_login(implicit_server: Server) -> None:
    await send(implicit_server.port, "implicit")
    [(_content, tls, authenticated)] = implicit_server.relay.received
    assert tls and authenticated


async def test_starttls_never_falls_back_to_clear_text(clear_server: Server) -> None:
    import smtplib  # noqa: PLC0415

    with pytest.raises(smtplib.SMTPNotSupportedError):
        await send(clear_server.port, "starttls")
    assert clear_server.relay.received == []


async def test_an_untrusted_relay_certificate_is_refused(
    starttls_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(ssl.SSLCertVerificationError):
        await send(starttls_server.port, "starttls")
    assert starttls_server.relay.received == []


@dataclass
class Counting(Relay):
    """A relay that also counts the connections made to it, and can answer the next mail's
    first command with 421 as a relay closing an idle connection does."""

    connections: int = 0
    closing: bool = False

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.closing:
            self.closing = False
            return "421 closing the connection: idle too long"
        envelope.mail_from = address
        return "250 OK"

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses


def message(n: int) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@b.test", "c@d.test", f"Mail {n}"
    mail.set_content("Body")
    return mail


def test_mails_share_a_kept_connection_and_a_closed_one_is_replaced() -> None:
    relay, port = Counting(), free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        connections = Connections(ServiceSettings(smtp_host="127.0.0.1", smtp_port=port))
        for n in range(3):
            connections.send(message(n))
        assert relay.connections == 1  # one connection carried the three mails
        # The relay drops the idle connection (its timeout, a restart): the next mail goes
        # over a new one, once, and none is lost.
        controller.stop()
        controller = Controller(relay, hostname="127.0.0.1", port=port)
        controller.start()
        connections.send(message(3))
        assert relay.connections == 2
        subjects = [c for c, _tls, _auth in relay.received]
        assert [b"Subject: Mail %d" % n in content for n, content in enumerate(subjects)] == [
            True
        ] * 4
    finally:
        controller.stop()


def test_a_relay_closing_with_421_or_an_old_connection_gets_a_new_one() -> None:
    relay, port = Counting(), free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = ServiceSettings(smtp_host="127.0.0.1", smtp_port=port)
        connections = Connections(settings)
        connections.send(message(0))
        relay.closing = True  # the kept connection: 421 to the next MAIL
        connections.send(message(1))
        assert relay.connections == 2
        # A connection idle for longer than idle_seconds is not used at all.
        aged = Connections(settings, idle_seconds=0)
        aged.send(message(2))
        aged.send(message(3))
        assert relay.connections == 4
        assert len(relay.received) == 4  # every mail delivered once
    finally:
        controller.stop()
