"""A process freezes what it holds once started, and once more after its warm-up: the garbage
collector's full collections then walk only what was made since (kit.heap)."""

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import MetaData

from kit import heap
from kit.events.broker import Broker
from kit.events.consumer import Consumer
from kit.events.store import EventStore
from kit.settings import ServiceSettings
from kit.testing import sqlite_database
from kit.web import create_app

router = APIRouter()


@router.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


@pytest.fixture(autouse=True)
def unfrozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from a process that has frozen nothing and has its warm-up ahead,
    and gives the collector back what it froze."""
    gc.unfreeze()
    monkeypatch.setattr(heap._Freezes, "started", False)
    monkeypatch.setattr(heap._Freezes, "left", heap.WARM_UP)
    yield
    gc.unfreeze()


def _frozen(item: object) -> bool:
    """Frozen: tracked by the collector, but in none of the generations it walks."""
    return gc.is_tracked(item) and not any(o is item for o in gc.get_objects())


def _app(tmp_path: Path) -> TestClient:
    settings = ServiceSettings(service_name="heap-test", var_dir=tmp_path)
    return TestClient(create_app(settings=settings, routers=[router]))


def test_an_app_freezes_what_it_holds_once_started_and_only_its_first_start(
    tmp_path: Path,
) -> None:
    assert gc.get_freeze_count() == 0
    before = [{"n": 1}]  # alive when the first app starts
    with _app(tmp_path) as client:
        assert gc.get_freeze_count() > 10_000  # the modules, the app, its routes
        assert _frozen(before)
        assert client.get("/ping").status_code == 200
    after = [{"n": 2}]  # alive when the next app starts
    with _app(tmp_path / "again"):
        assert not _frozen(after)  # a test session's later starts freeze nothing


def test_the_warm_up_freezes_once_more_after_its_last_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap._Freezes, "left", 3)
    with _app(tmp_path) as client:
        cache = [{"n": 1}]  # what the first requests fill
        for _ in range(2):
            assert client.get("/ping").status_code == 200
        assert not _frozen(cache)
        assert client.get("/ping").status_code == 200  # the third: the warm-up is over
        assert _frozen(cache)
        later = [{"n": 2}]
        for _ in range(5):
            assert client.get("/ping").status_code == 200
        assert not _frozen(later)  # never again in this process


def test_freezing_collects_first_so_that_garbage_is_not_kept() -> None:
    class Node:
        other: "Node | None" = None

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle only the collector frees
    gone = weakref.ref(a)
    del a, b
    frozen = heap.freeze()
    assert gone() is None  # collected, not frozen for good
    assert frozen == gc.get_freeze_count() > 0


def test_probes_and_scrapes_do_not_count_towards_the_warm_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap._Freezes, "left", 2)
    with _app(tmp_path) as client:
        cache = [{"n": 1}]
        for _ in range(5):
            client.get("/healthz")
            client.get("/metrics")
        assert not _frozen(cache)
        assert client.get("/ping").status_code == 200
        assert client.get("/ping").status_code == 200
        assert _frozen(cache)


class _Unreadable:
    """A delivery whose body is no event: the consumer rejects it."""

    body = b"not an envelope"
    user_id = "orders"

    def __init__(self) -> None:
        self.rejected = False

    async def reject(self, requeue: bool = False) -> None:
        self.rejected = True


async def test_a_worker_counts_each_message_towards_its_warm_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(heap._Freezes, "left", 2)
    metadata = MetaData()
    store = EventStore(metadata, "heap-test")
    async with sqlite_database(tmp_path, metadata) as database:
        consumer = Consumer(
            database=database,
            store=store,
            broker=Broker("amqp://heap-test@unused"),
            queue="heap-test.events",
            handlers={},
            service="heap-test",
        )
        first, second = _Unreadable(), _Unreadable()
        await consumer._on_message(first)  # type: ignore[arg-type]
        assert first.rejected and gc.get_freeze_count() == 0
        await consumer._on_message(second)  # type: ignore[arg-type]
        assert second.rejected and gc.get_freeze_count() > 0
