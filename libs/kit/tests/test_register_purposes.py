"""The register of processing needs every field of every purpose (Art. 30(1)(b)-(g))."""

from dataclasses import fields, replace

from kit.privacy.declarations import PURPOSES, LegalBasis, Purpose, PurposeInfo


def gaps(info: PurposeInfo) -> list[str]:
    """The fields of ``info`` that are empty (a blank text, an empty list, a blank item)."""
    missing = []
    for field in fields(info):
        value = getattr(info, field.name)
        if isinstance(value, LegalBasis):
            continue
        if isinstance(value, str):
            empty = not value.strip()
        else:
            empty = not value or any(not str(item).strip() for item in value)
        if empty:
            missing.append(field.name)
    return missing


def test_every_purpose_has_its_register_entry() -> None:
    assert set(PURPOSES) == set(Purpose)
    assert all(isinstance(info, PurposeInfo) for info in PURPOSES.values())


def test_every_field_of_every_purpose_is_filled() -> None:
    found = {purpose.value: gaps(info) for purpose, info in PURPOSES.items()}
    assert found == {purpose.value: [] for purpose in Purpose}


def test_each_purpose_names_its_legal_basis_with_its_article() -> None:
    for info in PURPOSES.values():
        assert isinstance(info.legal_basis, LegalBasis)
        assert info.legal_basis_article.startswith("Art. 6(1)(")


def test_a_missing_field_is_caught() -> None:
    info = PURPOSES[Purpose.ORDER_PROCESSING]
    assert gaps(replace(info, recipients=())) == ["recipients"]
    assert gaps(replace(info, retention="  ")) == ["retention"]
    assert gaps(replace(info, security_measures=("TLS", ""))) == ["security_measures"]
    assert gaps(replace(info, title="", categories_of_people=())) == [
        "title",
        "categories_of_people",
    ]
