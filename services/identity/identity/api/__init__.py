"""Thin HTTP routes of the identity service."""

from typing import Annotated

from fastapi import Depends, Request

from identity.service import Identity


def _identity(request: Request) -> Identity:
    ctx: Identity = request.app.state.identity
    return ctx


IdentityDep = Annotated[Identity, Depends(_identity)]
