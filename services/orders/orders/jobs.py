"""The orders service's scheduled work, run by its worker."""

from kit.worker import Job, live_retention, retention_purge
from orders.models import subject_data


def scheduled() -> list[Job]:
    """The hourly purge of the restricted archive (orders and invoices past their dates), and
    the hourly end of the orders, invoices and disclosures of live accounts past their
    lifetime (Art. 5(1)(e))."""
    return [retention_purge(subject_data), live_retention(subject_data)]
