"""The garbage collector in a long-running process: what it keeps is not scanned again and again.

A service's process holds about 120,000 objects once its modules are imported (SQLAlchemy,
FastAPI, pydantic, the models, the routes), and more once its first requests have filled its
caches (compiled statements, each connection's prepared statements). CPython collects its
oldest generation whenever the survivors have grown by a quarter, and each such collection
walks every object in it with the whole process stopped: 40 to 280 ms here, every request in
flight waiting, several times a minute under load (docs/performance.md, "2026-12-05 day").

``gc.freeze`` moves what is alive at that moment into a permanent generation the collector
skips, the practice of large CPython services since Python 3.7. A process freezes twice: when
it has started, and once its first ``WARM_UP`` requests or messages have filled its caches.
Objects made afterwards are collected as before; those frozen are still freed by reference
counting when let go, and only a cycle let go after its freeze stays in memory.
"""

import gc

#: Requests (an API) or messages (a worker) after which the process freezes once more.
WARM_UP = 2000


def freeze() -> int:
    """Collect once, then freeze every object still alive. Returns how many are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def freeze_startup_heap() -> int:
    """The first freeze, when a process has started (an API's lifespan, a worker's
    consumers); once per process: a test session starting apps again and again freezes only
    the first. Returns how many objects are frozen."""
    return gc.get_freeze_count() or freeze()


class _WarmUp:
    """The work a process has left to do before its second freeze."""

    left = WARM_UP

    @classmethod
    def count(cls) -> None:
        if cls.left > 0:
            cls.left -= 1
            if cls.left == 0:
                freeze()


#: One request or message handled: the ``WARM_UP``-th freezes what the first ones left in
#: the caches.
count_work = _WarmUp.count
