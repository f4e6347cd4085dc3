"""Prometheus metrics (X4): one registry per process, exposed at ``GET /metrics`` by every API
(the gateway does not route it: scrape the services on the internal network).

Labels never carry ids or personal data: a route is its template (``/api/orders/{order_id}``).
"""

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DSR_SECONDS = Histogram(
    "dsr_duration_seconds",
    "Time from a data-subject request's receipt to its end, by type and outcome.",
    ["type", "status"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400),
)
OUTBOX_BACKLOG = Gauge(
    "outbox_backlog", "Events written but not yet published to RabbitMQ.", ["service"]
)
DEAD_LETTERS = Gauge(
    "dead_letter_messages", "Messages waiting in a dead-letter queue.", ["service", "queue"]
)
PURGED = Counter(
    "retention_purged_total", "Records deleted by a scheduled retention job.", ["service", "job"]
)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
