"""The FastAPI application every service is built with: logs, request ids, errors, health.

``create_app`` wires the parts that are the same in every service; the service passes its
routers and its own start/stop work. Errors are JSON ``{"detail": ...}`` with the right status;
a validation error never echoes the submitted values (they may be passwords or personal data)
and an unexpected error is a bare 500, never a stack trace.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit import tracing
from kit.auth import RemoteJwks, TokenVerifier
from kit.clients import Peers
from kit.db import Database, is_transient
from kit.errors import ERROR_STATUSES, DomainError, ErrorBody
from kit.events.broker import Broker
from kit.events.relay import Relay
from kit.events.store import EventStore
from kit.heap import count_work, freeze_startup_heap
from kit.logs import configure_logging, request_id_var
from kit.metrics import REQUEST_SECONDS, metrics_endpoint
from kit.openapi import install_access_declarations
from kit.security import declare_security_events
from kit.settings import ServiceSettings

log = logging.getLogger("kit.web")
REQUEST_ID_HEADER = "X-Request-ID"

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

#: Every operation documents the errors it can answer and their body (``kit.errors``); a
#: route's own ``responses`` (a 422 with a report, say) take precedence.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in ERROR_STATUSES.items()
}


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Location, message and type only: the "input" FastAPI adds would echo what was sent.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The class, the database's error code, the route and our last line on the way:
        # enough to find the cause, never a message (it may quote the data).
        origin, frame = None, exc.__traceback__
        while frame is not None:
            name = frame.tb_frame.f_code.co_filename
            if "/services/" in name or "/kit/" in name:
                origin = f"{name.rsplit('/', 1)[-1]}:{frame.tb_lineno}"
            frame = frame.tb_next
        route = request.scope.get("route")
        if is_transient(exc):
            # The database is away or out of connections: nothing was done, try again.
            log.warning(
                "database unavailable",
                extra={
                    "error": type(exc).__name__,
                    "sqlstate": getattr(getattr(exc, "orig", None), "sqlstate", None),
                    "route": getattr(route, "path", None),
                },
            )
            return JSONResponse(
                {"detail": "the service cannot reach its database right now; try again shortly"},
                status_code=503,
                headers={"Retry-After": "2"},
            )
        log.error(
            "unhandled error",
            extra={
                "error": type(exc).__name__,
                "sqlstate": getattr(getattr(exc, "orig", None), "sqlstate", None),
                "origin": origin,
                "route": getattr(route, "path", None),
            },
        )
        return JSONResponse({"detail": "internal error"}, status_code=500)


class RequestContext:
    """Pure ASGI middleware: request id in the log context and on the response, one access line,
    and a server span continuing the caller's W3C ``traceparent`` (the gateway's, made from its
    request id; ``kit.tracing``).

    The path is logged without its query string; ids in paths are random UUIDs, never personal.
    The span is named after the route's template, never the path with its values.
    """

    def __init__(self, app: ASGIApp, service: str = "service") -> None:
        self.app = app
        self.service = service
        self.log = logging.getLogger("access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        request_id = request_id[:64]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
            await send(message)

        # Probes and scrapes are not traced: an APM would see little else.
        traced = scope["path"] not in _QUIET_PATHS
        if traced:  # a probe every 10 s would end an idle process's warm-up before its caches
            count_work()
        with (
            tracing.span(
                scope["method"],
                kind=SpanKind.SERVER,
                parent=tracing.extract(_header(scope, b"traceparent")),
                attributes={"http.request.method": scope["method"]},
            )
            if traced
            else tracing.no_span()
        ) as span:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None)
                if template is not None:
                    span.update_name(f"{scope['method']} {template}")
                    span.set_attribute("http.route", template)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                self._finish(scope, status, started)
                request_id_var.reset(token)

    def _finish(self, scope: Scope, status: int, started: float) -> None:
        """The request's duration in the metrics and its access line."""
        route = scope.get("route")
        REQUEST_SECONDS.labels(
            self.service,
            scope["method"],
            getattr(route, "path", "unmatched"),
            str(status),
        ).observe(time.perf_counter() - started)
        if scope["path"] not in _QUIET_PATHS:
            self.log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await request.app.state.db.ping()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = type(exc).__name__
        broker: Broker | None = getattr(request.app.state, "broker", None)
        if broker is not None:
            checks["broker"] = "ok" if broker.connected else "connecting"
        verifier: TokenVerifier = request.app.state.verifier
        checks["keys"] = "ok" if verifier.source.ready else "fetching"
        ready = checks["database"] == "ok" and checks["keys"] == "ok"
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return router


def create_app(
    *,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    events: EventStore | None = None,
    verifier: TokenVerifier | None = None,
    lifespan: Lifespan | None = None,
    title: str | None = None,
    security_events: Iterable[str] = (),
) -> FastAPI:
    """A service's app: database, verifier, outbox relay, then the service's own lifespan.

    ``security_events``: the kinds its requests may count (``kit.security``), made at 0."""
    configure_logging(settings.service_name, settings.log_level)
    tracing.configure_tracing(settings.service_name)
    declare_security_events(settings.service_name, security_events)

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        app.state.verifier = verifier or TokenVerifier(
            RemoteJwks(settings.jwks_url),
            issuer=settings.jwt_issuer,
            audience=settings.service_name,
        )
        keys_task = asyncio.create_task(app.state.verifier.source.warm(), name="warm-keys")
        app.state.events = events
        # Calls to the other services (kit.clients).
        app.state.peers = Peers(settings, verifier=app.state.verifier)
        relay_task: asyncio.Task[None] | None = None
        if events is not None:
            app.state.broker = Broker(settings.amqp_url, settings.events_exchange)
            relay = Relay(
                app.state.db, events, app.state.broker, poll_seconds=settings.relay_poll_seconds
            )
            relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
        try:
            if lifespan is not None:
                async with lifespan(app):
                    freeze_startup_heap()
                    yield
            else:
                freeze_startup_heap()
                yield
        finally:
            keys_task.cancel()
            await asyncio.gather(keys_task, return_exceptions=True)
            if relay_task is not None:
                relay_task.cancel()
                await asyncio.gather(relay_task, return_exceptions=True)
                await app.state.broker.close()
            await app.state.peers.aclose()
            await app.state.db.dispose()

    app = FastAPI(
        title=title or settings.service_name,
        lifespan=app_lifespan,
        docs_url=None if settings.production_like else "/docs",
        redoc_url=None,
        responses=ERROR_RESPONSES,
        # FastAPI's own OpenTelemetry spans and logs are off: they record the path with its
        # values (people's ids), exception messages and stack traces. RequestContext makes the
        # server span instead, named after the route's template (kit.tracing).
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    install_error_handlers(app)
    app.add_middleware(RequestContext, service=settings.service_name)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    install_access_declarations(app)
    return app


async def app_context(request: Request) -> Any:
    """What the app holds (``app.state.context``, built once by the service's
    ``build_context``): a service declares ``ContextDep = Annotated[Context,
    Depends(app_context)]`` with its own ``Context`` type. Async, as every dependency of kit:
    FastAPI runs a plain ``def`` in its thread pool, a hand-off to a thread and back on every
    request (docs/performance.md)."""
    return request.app.state.context
