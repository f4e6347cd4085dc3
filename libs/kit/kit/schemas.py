"""Input types shared by the services' schemas: text that every database can store."""

import unicodedata
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


def clean_text(value: str) -> str:
    """Refuse control characters (NUL included) and lone surrogates: PostgreSQL cannot store
    the first, UTF-8 cannot encode the second, and neither belongs in a name or an email."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in "\t"):
            raise ValueError("contains control or invalid characters")
    return value


CleanText = Annotated[str, AfterValidator(clean_text)]


def _text(value: str, *, max_length: int, lines: bool) -> str:
    """Trimmed, never empty, at most ``max_length`` characters once trimmed, and no control
    character (``clean_text``); ``lines`` keeps line breaks (as ``\\n``).

    Written out because ``CleanText`` with ``StringConstraints`` counts the length before
    trimming: a value of blanks would pass ``min_length=1`` and be stored empty."""
    value = value.strip()
    if lines:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    clean_text(value.replace("\n", "") if lines else value)
    if not value:
        raise ValueError("cannot be empty")
    if len(value) > max_length:
        raise ValueError(f"at most {max_length} characters")
    return value


def text(max_length: int, *, lines: bool = False) -> AfterValidator:
    """``Annotated[str, text(200)]``: trimmed, not empty, no control character, bounded."""
    return AfterValidator(partial(_text, max_length=max_length, lines=lines))


#: A title, a subject, a name: one line of 200 characters at most.
Line = Annotated[str, text(200)]

#: The id of a row sent in a body (``kit.db.new_id`` makes UUID4s): letters, digits, "-" and
#: "_" only. Anything else is a 422 before it reaches the database: PostgreSQL cannot even
#: compare a NUL character (SQLSTATE 22021, which was a 500; found by the security suite).
Id = Annotated[str, StringConstraints(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_-]+$")]


class Strict(BaseModel):
    """A request body: a field the schema does not name is refused (422)."""

    model_config = ConfigDict(extra="forbid")
