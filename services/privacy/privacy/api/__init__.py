"""Thin HTTP routes of the privacy service."""

from typing import Annotated

from fastapi import Depends, Request

from privacy.service import Privacy


def _privacy(request: Request) -> Privacy:
    ctx: Privacy = request.app.state.privacy
    return ctx


PrivacyDep = Annotated[Privacy, Depends(_privacy)]
