"""Email through the outbox: a mail is an event for the service's own worker, which sends it.

``queue_mail(session, events, ...)`` writes the mail in the caller's transaction (so it goes
if and only if the change commits). The worker's handler sends it with SMTP; while the SMTP
server is away it waits and tries again (the consumer holds the message), and a mail that
keeps failing ends in the dead-letter queue, from where it can be replayed. The outbox row's
body is blanked once RabbitMQ has it, and no address is ever logged.

To a relay (``SMTP_TLS``): ``starttls`` upgrades the connection before anything else is sent
and fails when the server does not offer it (never a fall back to clear text); ``implicit``
speaks TLS from the first byte. Both verify the relay's certificate and host name against the
system's CAs, then log in with ``SMTP_USER``/``SMTP_PASSWORD`` when set. Production refuses a
relay off the machine without them (``kit.settings``).
"""

import asyncio
import functools
import os
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from kit.events import Envelope, EventStore
from kit.events.consumer import Handler
from kit.events.subscription import Subscription
from kit.settings import ServiceSettings

MAIL = "mail.requested"


def mail_key(service: str) -> str:
    return f"{MAIL}.{service}"


async def queue_mail(
    session: AsyncSession,
    events: EventStore,
    *,
    to: str,
    subject: str,
    text: str,
    tenant: str | None = None,
) -> None:
    await events.add(
        session,
        MAIL,
        tenant=tenant,
        payload={"to": to, "subject": subject, "text": text},
        routing_key=mail_key(events.source),
    )


def _tls_context() -> ssl.SSLContext:
    """The client TLS context of every connection to the relay, made once per set of trusted
    CAs (``SSL_CERT_FILE``, ``SSL_CERT_DIR``): each ``ssl.create_default_context()`` loads the
    CA bundle again, which cost the orders worker almost half its CPU under ``make load``
    (docs/performance.md), and it was made even for a relay spoken to in clear. The context
    verifies the relay's certificate and host name as before; only its making is shared."""
    return _context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _context_for(_cafile: str | None, _capath: str | None) -> ssl.SSLContext:
    return ssl.create_default_context()


def _connect(settings: ServiceSettings) -> smtplib.SMTP:
    """A connection to the relay, upgraded to TLS and logged in as the settings say."""
    smtp = (
        smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=10, context=_tls_context())
        if settings.smtp_tls == "implicit"
        else smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10)
    )
    try:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=_tls_context())
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


#: A relay answers this before it closes a connection (its idle timeout, a restart).
CLOSING = 421


class Connections:
    """The worker's connections to the relay, kept open between mails (at most ``keep`` idle,
    each for at most ``idle_seconds``).

    A connection per mail (connect, greeting, TLS, login, then QUIT) cost the sending worker
    and the relay more than the mail itself under ``make load`` (docs/performance.md). A kept
    connection idle for longer than ``idle_seconds`` is closed rather than used (relays close
    idle ones, some silently); one the relay has closed meanwhile all the same (no answer, or
    421 to the first command) is replaced by a new connection for the mail at hand, once. Any
    other error closes the connection and reaches the consumer, which retries as before. Used
    from ``asyncio.to_thread``: each connection serves one mail at a time."""

    def __init__(self, settings: ServiceSettings, keep: int = 4, idle_seconds: float = 15) -> None:
        self.settings = settings
        self.keep = keep
        self.idle_seconds = idle_seconds
        self._idle: list[tuple[float, smtplib.SMTP]] = []
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        kept = self._take()
        if kept is not None:
            try:
                self._send_over(kept, message)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                pass  # closed by the relay while idle: a new connection below
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code != CLOSING:
                    raise
        self._send_over(_connect(self.settings), message)

    def _send_over(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        """``message`` over ``smtp``, which is then kept; closed when anything fails."""
        try:
            smtp.send_message(message)
        except BaseException:
            smtp.close()
            raise
        self._give_back(smtp)

    def _take(self) -> smtplib.SMTP | None:
        """The most recently used idle connection still young enough; older ones are closed."""
        stale: list[smtplib.SMTP] = []
        kept = None
        with self._lock:
            while self._idle:
                since, smtp = self._idle.pop()
                if time.monotonic() - since <= self.idle_seconds:
                    kept = smtp
                    break
                stale.append(smtp)
        for smtp in stale:
            _quit(smtp)
        return kept

    def _give_back(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append((time.monotonic(), smtp))
                return
        _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def mail_subscription(settings: ServiceSettings) -> Subscription:
    """The worker's queue of this service's mails."""
    service = settings.service_name
    return Subscription(
        f"{service}.mail", {MAIL: mail_sender(settings)}, [mail_key(service)], senders={service}
    )


def mail_sender(settings: ServiceSettings) -> Handler:
    """The worker's handler of ``mail.requested``: sends the mail (SMTP errors propagate, so the
    consumer retries: ``OSError`` while the server is away, redelivery otherwise)."""

    relay = Connections(settings)

    async def send(_session: AsyncSession, envelope: Envelope) -> None:
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = str(envelope.payload["to"])
        message["Subject"] = str(envelope.payload["subject"])
        message["Message-ID"] = f"<{envelope.id}@platform>"
        message.set_content(str(envelope.payload["text"]))
        await asyncio.to_thread(relay.send, message)

    return send
