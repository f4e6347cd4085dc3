"""``kit.i18n``: the language of a request, and the catalogue's lookups."""

import pytest

from kit.i18n import catalogue, language, negotiate, text, translate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "fr"),
        ("", "fr"),
        ("fr", "fr"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("fr-CA,en;q=0.5", "fr"),
        ("en-US,en;q=0.9,fr;q=0.8", "en"),
        ("fr;q=0.4, en;q=0.6", "en"),
        ("en;q=0.6, fr;q=0.9", "fr"),
        ("de-DE,de;q=0.9", "fr"),  # nothing we speak: the default
        ("de,en;q=0.3", "en"),  # the best we speak, however low
        ("*", "fr"),
        ("en;q=0", "fr"),  # q=0: "not this one"
        ("en;q=abc", "fr"),  # a malformed weight counts for nothing
        ("en;q=2", "fr"),  # out of range
        ("en, fr", "en"),  # a tie: the first listed
        ("fr, en", "fr"),
        (";;;,,,", "fr"),
        ("en;foo=bar;q=0.7,fr;q=0.5", "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_a_stored_language_is_ours_or_french() -> None:
    assert language("en") == "en"
    assert language("fr") == "fr"
    assert language("de") == "fr"
    assert language(None) == "fr"


def test_english_is_the_source_and_french_comes_from_the_catalogue() -> None:
    assert catalogue("en") == {}
    assert "while your account exists" in catalogue("fr")
    assert translate("while your account exists", "en") == "while your account exists"
    assert translate("while your account exists", "fr") == "tant que votre compte existe"
    assert text("Generated {when}.", "en", when="today") == "Generated today."
    assert text("Generated {when}.", "fr", when="aujourd'hui") == "Établi le aujourd'hui."


def test_a_filled_template_translates_with_its_value() -> None:
    # "{session_hours} hours", sent filled by identity.
    assert translate("24 hours", "fr") == "24 heures"
    assert translate("12 hours", "fr") == "12 heures"
    assert translate("7 years after the grant (works council accounts)", "fr") == (
        "7 ans après l'attribution (comptes du CSE)"
    )
    # The most specific template wins: not "{audit_retention_days} days" for this one.
    assert translate("730 days after the ticket is closed", "fr") == (
        "730 jours après la clôture du ticket"
    )


def test_an_unknown_text_stays_as_written() -> None:
    assert translate("something nobody declared", "fr") == "something nobody declared"
    assert text("something nobody declared", "fr") == "something nobody declared"
    assert translate("", "fr") == ""
