"""The import's report, and its modes."""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel


class ImportMode(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    PER_LINE = "per_line"


#: The route's ``mode`` parameter, checked and documented as a plain choice of strings (an
#: enum would be a schema of its own in the OpenAPI document, and another type of 422).
ModeParam = Literal["all_or_nothing", "per_line"]


class LineError(BaseModel):
    line: int
    error: str


class ImportReport(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[LineError] = []
    dry_run: bool = False
