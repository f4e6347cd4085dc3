"""Prometheus metrics (X4): one registry per process, exposed at ``GET /metrics`` by every API
(the gateway does not route it: scrape the services on the internal network).

Labels never carry ids or personal data: a route is its template (``/api/orders/{order_id}``).
No label is named ``job`` or ``instance``: Prometheus adds those to every series it scrapes.
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
OUTBOX_OLDEST = Gauge(
    "outbox_oldest_unsent_age_seconds",
    "Age of the oldest event not yet published to RabbitMQ (0 when none waits).",
    ["service"],
)
#: The privacy service's deadlines (its worker refreshes them every minute).
DSR_OPEN = Gauge(
    "dsr_open_requests", "Data-subject requests not in a final status, by type.", ["type"]
)
DSR_NEXT_DEADLINE = Gauge(
    "dsr_next_deadline_timestamp_seconds",
    "The earliest due date (extended if so) of the open requests of a type; +Inf: none open.",
    ["type"],
)
BREACH_NEXT_DEADLINE = Gauge(
    "breach_next_notification_deadline_timestamp_seconds",
    "The earliest 72-hour deadline of a breach not notified to the authority; +Inf: none.",
)
#: The backup scheduler's (devstack.backup schedule).
BACKUP_LAST_SUCCESS = Gauge(
    "backup_last_success_timestamp_seconds",
    "When the last verified backup of a service's database was written.",
    ["service"],
)
DEAD_LETTERS = Gauge(
    "dead_letter_messages", "Messages waiting in a dead-letter queue.", ["service", "queue"]
)
#: Its label is ``purge`` (the job's name), not ``job``: Prometheus gives every scraped series
#: the target labels ``job`` and ``instance``, and renames a metric's own label of that name
#: ``exported_job`` (tests/test_monitoring.py keeps every label here clear of both).
PURGED = Counter(
    "retention_purged_total",
    "Records deleted by a scheduled retention job, by job name.",
    ["service", "purge"],
)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
