"""docs/compliance.md names the tests that prove each GDPR article: every one it names must
exist (file and function), every article must keep its section, and the page must keep its
proof (at least 60 references). Pure file reading: no import of the tests it names."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "compliance.md"
ARTICLES = [
    "5(1)(b)",
    "5(1)(c)",
    "5(1)(e)",
    "6",
    "7",
    "12(3)",
    "15",
    "16",
    "17",
    "18",
    "19",
    "20",
    "21",
    "25",
    "28",
    "30(1)",
    "30(2)",
    "32(1)(a)",
    "32(1)(b)",
    "32(1)(c)",
    "32(1)(d)",
    "33",
    "34",
    "37(7)",
    "44-46",
]
# `path/to/test_file.py::test_name` or `path/to/test_file.py::Class::test_name`.
REFERENCE = re.compile(r"`([\w./-]+\.py)::((?:[A-Za-z_]\w*::)?test_\w+)`")
SECTION = re.compile(r"^## Art\. (\S+) ", re.MULTILINE)


def references() -> list[tuple[str, str]]:
    return REFERENCE.findall(DOC.read_text(encoding="utf-8"))


def defines(source: str, name: str) -> bool:
    """Whether ``source`` defines the test ``name`` (``Class::test_x``: inside that class)."""
    *owner, function = name.split("::")
    test = re.compile(rf"^(?P<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+{function}\(", re.MULTILINE)
    if not owner:
        return any(m.group("indent") == "" for m in test.finditer(source))
    found = re.search(
        rf"^class[ \t]+{owner[0]}\b.*?(?=^\S)|^class[ \t]+{owner[0]}\b.*\Z",
        source,
        re.MULTILINE | re.DOTALL,
    )
    return found is not None and test.search(found.group(0)) is not None


def test_every_referenced_test_exists() -> None:
    missing: list[str] = []
    for path, name in references():
        file = ROOT / path
        if not file.is_file():
            missing.append(f"{path}::{name} (no such file)")
        elif not defines(file.read_text(encoding="utf-8"), name):
            missing.append(f"{path}::{name} (no such test)")
    assert not missing, "docs/compliance.md names tests that do not exist:\n" + "\n".join(missing)


def test_every_article_has_its_section() -> None:
    sections = SECTION.findall(DOC.read_text(encoding="utf-8"))
    absent = [a for a in ARTICLES if a not in sections]
    assert not absent, f"docs/compliance.md has no section for Art. {', '.join(absent)}"
    repeated = sorted({a for a in sections if sections.count(a) > 1})
    assert not repeated, f"docs/compliance.md has more than one section for {repeated}"


def test_the_page_names_at_least_60_tests() -> None:
    found = len(references())
    assert found >= 60, f"docs/compliance.md names {found} tests, fewer than 60"


def test_the_check_itself_catches_a_missing_test() -> None:
    source = "def test_a() -> None:\n    pass\n\n\nclass TestB:\n    async def test_c(self):\n"
    assert defines(source, "test_a") and defines(source, "TestB::test_c")
    assert not defines(source, "test_c")  # a method is not a module-level test
    assert not defines(source, "test_ab") and not defines(source, "TestA::test_c")
