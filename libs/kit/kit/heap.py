"""The garbage collector in a long-running process: what it keeps is not scanned again and again.

A service's process holds about 120,000 objects once its modules are imported (SQLAlchemy,
FastAPI, pydantic, the models, the routes), and more once its first requests have filled its
caches (compiled statements, each connection's prepared statements). CPython collects its
oldest generation whenever the survivors have grown by a quarter, and each such collection
walks every object in it with the whole process stopped: 40 to 280 ms here, every request in
flight waiting, 2 to 5 times in a 90 s run under load (docs/performance.md, "2026-12-05 day").

``gc.freeze`` moves what is alive at that moment into a permanent generation the collector
skips, the practice of large CPython services since Python 3.7. A process freezes twice: when
it has started, and once its first ``WARM_UP`` requests or messages have filled its caches
(each freeze collects first: one pause of the old kind, twice in a process's life). Objects
made afterwards are collected as before, and frozen ones are still freed by reference
counting when let go. What the collector can no longer free is bounded: cycles among the
objects alive at one of the two freezes (the requests in flight then, a pool's overflow
connection open then), with what they still refer to when let go; about 900 objects for an
app started and stopped in a test.
"""

import gc

#: Requests (an API's, probes and scrapes left out) or messages (a worker's) after which the
#: process freezes once more.
WARM_UP = 2000


def freeze() -> int:
    """Collect once, then freeze every object still alive. Returns how many are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class _Freezes:
    """What the process has done: its start-up freeze, and the work left before the next."""

    started = False
    left = WARM_UP


def freeze_startup_heap() -> None:
    """The first freeze, when a process has started (an API's lifespan, a worker's start-up);
    once per process: a test session starting apps again and again freezes only the first."""
    if not _Freezes.started:
        _Freezes.started = True
        freeze()


def count_work() -> None:
    """One request or message handled: the ``WARM_UP``-th freezes what the first ones left in
    the caches; never again afterwards."""
    if _Freezes.left > 0:
        _Freezes.left -= 1
        if _Freezes.left <= 0:
            freeze()
