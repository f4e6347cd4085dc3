"""What the subsidies service holds while it runs, built once at startup from its settings:
the app's lifespan (``main``) and the worker's ``main`` call ``build_context``."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from kit.crypto import AesGcm
from kit.web import app_context
from subsidies.accounting.service import books
from subsidies.config import Settings
from subsidies.mandates.fields import bank_cipher, field_cipher
from subsidies.models import subject_data


@dataclass(frozen=True)
class Context:
    settings: Settings
    #: Encrypts and decrypts the mandates' bank details (``mandates.fields``).
    cipher: AesGcm


def build_context(settings: Settings) -> Context:
    """The context; binds the settings to the service's data-subject declarations and the
    field cipher where the data map's export reads it."""
    subject_data.bind(settings)
    cipher = field_cipher(settings)
    bank_cipher.bind(cipher)
    books.bind(settings.accounting_chart, timezone=settings.accounting_timezone)
    return Context(settings=settings, cipher=cipher)


#: A route's context (``app.state.context``, set by ``main.build_app``).
ContextDep = Annotated[Context, Depends(app_context)]
