"""What the privacy service holds beyond a database session, built once at startup.

The app builds it in its lifespan (``app.state.context``), the worker in its ``main``; routes
get it with ``ContextDep``, handlers and jobs are given it.
"""

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends

from kit.crypto import AesGcm
from kit.web import app_context
from privacy.config import Settings
from privacy.keys import SealKeys
from privacy.models import subject_data


@dataclass(frozen=True)
class Context:
    settings: Settings
    #: Opens what the services sealed for us (their export parts).
    seal_keys: SealKeys
    #: Encrypts archives and identity documents at rest.
    cipher: AesGcm

    @property
    def code_secret(self) -> bytes:
        """Keys the hashes of identity-check codes."""
        secret = self.settings.archive_secret.get_secret_value().encode()
        return hmac.new(secret, b"identity-check-codes", hashlib.sha256).digest()

    def archive_path(self, file_name: str) -> Path:
        assert self.settings.exports_dir is not None
        return self.settings.exports_dir / file_name


def build_context(settings: Settings) -> Context:
    """The exports folder (made if missing), the seal keys and the archives' cipher; the
    personal-data declarations bound to ``settings``."""
    subject_data.bind(settings)
    assert settings.keys_dir is not None and settings.exports_dir is not None
    settings.exports_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = hashlib.sha256(settings.archive_secret.get_secret_value().encode()).digest()
    return Context(settings, SealKeys.load(settings), AesGcm({"a1": key}, "a1"))


#: A route's context (``app.state.context``, set by ``main.build_app``).
ContextDep = Annotated[Context, Depends(app_context)]
