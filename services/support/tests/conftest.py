"""The support service's unit tests: the tables of kit's ``database`` fixture (a SQLite
database per test), the declarations bound to default settings, and the app in process (the
gateway's token stood in by ``kit.testing.BadgeVerifier``: the token is the person's name in
``factories.PEOPLE``)."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine

from kit.clients import Answer, PeerRequest, Peers
from kit.testing import BadgeVerifier
from services.support.tests import factories
from support.config import Settings
from support.main import build_app
from support.models import Base, events, subject_data

#: The app on the SQLite file given, as a test client.
Serve = Callable[[Path], AbstractContextManager[TestClient]]


@pytest.fixture
def metadata() -> MetaData:
    return Base.metadata


@pytest.fixture(autouse=True)
def bound() -> None:
    """The declarations take the settings at start-up; a test starts with the defaults."""
    subject_data.bind(Settings())


async def identity(request: PeerRequest) -> Answer:
    """Identity's public tenant route, for the tenants ``demo`` and ``other``."""
    slug = request.path.rsplit("/", 1)[-1]
    if request.path.startswith("/api/auth/tenants/") and slug in ("demo", "other"):
        return Answer.of(200, {"slug": slug, "name": slug.title()})
    return Answer.of(404, {"detail": "tenant not found"})


@pytest.fixture
def serve(tmp_path: Path) -> Serve:
    @contextmanager
    def serving(path: Path) -> Iterator[TestClient]:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", var_dir=tmp_path)
        app = build_app(settings, verifier=BadgeVerifier(factories.PEOPLE), outbox=None)
        with TestClient(app) as client:
            # The outbox without a relay: audit records and events stay in the test's database.
            app.state.events = events
            original = app.state.peers
            app.state.peers = Peers(settings, transport=identity)
            try:
                yield client
            finally:
                app.state.peers = original

    return serving


@pytest.fixture
def client(tmp_path: Path, serve: Serve) -> Iterator[TestClient]:
    """The app on an empty database; identity's tenant lookup answered by ``identity``."""
    path = tmp_path / "api.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    with serve(path) as test_client:
        yield test_client
