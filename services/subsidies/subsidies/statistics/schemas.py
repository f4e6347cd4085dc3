"""The anonymous statistics' answer."""

from enum import StrEnum

from pydantic import BaseModel


class GroupBy(StrEnum):
    """What the statistics count the uses by."""

    KIND = "kind"
    CHILDREN = "children"


class Cell(BaseModel):
    label: str
    people: int
    uses: int
    amount_cents: int


class Statistics(BaseModel):
    by: str
    year: int
    k: int
    cells: list[Cell]
    #: How many groups were too small to show alone and were merged into "other".
    merged_groups: int
