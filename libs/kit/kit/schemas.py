"""Input types shared by the services' schemas: text that every database can store."""

import unicodedata
from typing import Annotated

from pydantic import AfterValidator


def clean_text(value: str) -> str:
    """Refuse control characters (NUL included) and lone surrogates: PostgreSQL cannot store
    the first, UTF-8 cannot encode the second, and neither belongs in a name or an email."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in "\t"):
            raise ValueError("contains control or invalid characters")
    return value


CleanText = Annotated[str, AfterValidator(clean_text)]
