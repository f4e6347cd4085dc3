"""The orders service's scheduled work, run by its worker."""

from kit.worker import Job, retention_purge
from orders.models import subject_data


def scheduled() -> list[Job]:
    """The hourly purge of the restricted archive (orders and invoices past their dates)."""
    return [retention_purge(subject_data)]
