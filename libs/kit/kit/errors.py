"""Typed domain errors: each carries its HTTP status; the API maps them in one place."""

from typing import ClassVar

from pydantic import BaseModel


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


class ValidationIssue(BaseModel):
    """One reason a request failed validation: where, what, which rule (never the value)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error's body, from a service or from the gateway: ``{"detail": ...}``, a sentence
    safe to show, or for a request that failed validation (422) the list of what is wrong."""

    detail: str | list[ValidationIssue]


#: The errors any route can answer, documented on every operation of every service (the
#: security suite checks each status seen against the document). 401: no or a bad session;
#: 403: a refused role or CSRF header; 413: a body over the gateway's limit; 429: a rate limit;
#: 503: a service the route needs cannot answer.
ERROR_STATUSES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden for this caller",
    404: "Not found (or not yours)",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "Invalid request",
    429: "Too many requests",
    503: "Unavailable; try again shortly",
}
