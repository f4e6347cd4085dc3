"""Typed domain errors: each carries its HTTP status; the API maps them in one place."""

from typing import ClassVar


class DomainError(Exception):
    """Base of every error a service raises on purpose. The message is safe to show a client."""

    status_code: ClassVar[int] = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(DomainError):
    status_code = 400


class Unauthenticated(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422


class TooManyRequests(DomainError):
    status_code = 429


class Unavailable(DomainError):
    status_code = 503
