"""What the support app holds, built once at startup, and the dependency that hands it out.

The routes read it through ``ContextDep``; the services take plain values from it, never the
request.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from kit.web import app_context
from support.config import Settings
from support.models import subject_data


@dataclass(frozen=True)
class Context:
    settings: Settings


def build_context(settings: Settings) -> Context:
    """The app's context; binds the personal-data declarations to ``settings`` (their key and
    the retention periods they state)."""
    subject_data.bind(settings)
    return Context(settings=settings)


#: A route's context (``app.state.context``, set by ``main.build_app``).
ContextDep = Annotated[Context, Depends(app_context)]
