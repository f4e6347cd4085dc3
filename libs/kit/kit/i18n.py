"""The languages of the texts a person or a DPO reads: French (the default) and English.

The declarations stay in English where they are written (``personal(...)``, ``subject_table``'s
``kept`` and ``Retention``, ``PURPOSES``, the register's and the archive's fixed texts): the
English text is the key of one catalogue per other language (``kit/locales/<lang>.json``), and
a text is translated where it is rendered for its reader (the register, the Art. 15
information of an archive, an erasure report), never where it is declared. So a service adds a
declaration without touching this module, and ``tests/test_translations.py`` fails until the
catalogue has its French.

- ``negotiate(accept_language)``: ``"fr"`` or ``"en"`` from an ``Accept-Language`` header,
  q-values honoured; French when nothing asked for is known.
- ``text(english, lang, **values)``: the text in ``lang``, its ``{name}`` placeholders filled
  from ``values`` (a template the code formats: dates, counts).
- ``translate(text, lang)``: a text as it arrived (from another service's declarations), its
  placeholders already filled (``"{years} years after..."`` sent as ``"5 years after..."``):
  found as it is, or matched against the catalogue's templates, whose values carry over.
  A text not in the catalogue comes back unchanged (English), never an error.
"""

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
DEFAULT: Language = "fr"
#: The language the declarations are written in: its catalogue is the identity.
SOURCE: Language = "en"

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def negotiate(accept_language: str | None) -> Language:
    """The language of an ``Accept-Language`` header (RFC 9110 12.5.4): the known language of
    the highest q-value (ties: the first listed), ``fr`` for nothing known, ``*`` or garbage.
    ``fr-CA`` is French; ``q=0`` means "not this one"."""
    best: tuple[float, Language] = (0.0, DEFAULT)
    for part in (accept_language or "")[:500].split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        if not 0.0 < weight <= 1.0:
            continue
        if weight > best[0]:
            best = (weight, "en" if primary == "en" else "fr")
    return best[1]


def language(value: str | None) -> Language:
    """A stored or asked-for language code, ``fr`` when it is none of ours."""
    return "en" if value == "en" else "fr" if value == "fr" else DEFAULT


@cache
def catalogue(lang: Language) -> dict[str, str]:
    """English text -> its translation in ``lang`` (empty for English)."""
    if lang == SOURCE:
        return {}
    raw = resources.files("kit").joinpath("locales", f"{lang}.json").read_text("utf-8")
    found = json.loads(raw)
    assert isinstance(found, dict)
    return {str(k): str(v) for k, v in found.items() if not k.startswith("//")}


@cache
def _templates(lang: Language) -> list[tuple[re.Pattern[str], str]]:
    """The catalogue's texts with placeholders, as patterns matching them filled in (the
    longest first: the most specific wins)."""
    found = []
    for english, translated in catalogue(lang).items():
        if not _PLACEHOLDER.search(english):
            continue
        pattern, at = "", 0
        for match in _PLACEHOLDER.finditer(english):
            pattern += re.escape(english[at : match.start()]) + f"(?P<{match.group(1)}>.+?)"
            at = match.end()
        pattern += re.escape(english[at:])
        found.append((re.compile(pattern, re.DOTALL), translated))
    found.sort(key=lambda item: -len(item[0].pattern))
    return found


def text(english: str, lang: Language, /, **values: Any) -> str:
    """``english`` in ``lang``, ``{name}`` filled from ``values``."""
    found = english if lang == SOURCE else catalogue(lang).get(english, english)
    return found.format(**values) if values else found


def translate(value: str, lang: Language) -> str:
    """A text as received, its placeholders already filled: in ``lang`` when the catalogue
    knows it (as it is, or as one of its templates filled), otherwise unchanged."""
    if lang == SOURCE or not value:
        return value
    words = catalogue(lang)
    if value in words:
        return words[value]
    for pattern, translated in _templates(lang):
        match = pattern.fullmatch(value)
        if match:
            return translated.format(**match.groupdict())
    return value


def translate_all(values: Iterable[str], lang: Language) -> list[str]:
    return [translate(v, lang) for v in values]


def known(value: str, lang: Language) -> bool:
    """Whether ``value`` (a source text, or one filled in) has a translation in ``lang``."""
    if lang == SOURCE:
        return True
    if value in catalogue(lang):
        return True
    return any(p.fullmatch(value) for p, _ in _templates(lang))


def missing(values: Iterable[str], lang: Language = "fr") -> list[str]:
    """The texts among ``values`` without a translation in ``lang`` (the coverage test's)."""
    return sorted({v for v in values if v and not known(v, lang)})


__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "Language",
    "catalogue",
    "known",
    "language",
    "missing",
    "negotiate",
    "text",
    "translate",
    "translate_all",
]
