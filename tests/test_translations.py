"""Every text a person or a DPO reads has its French (``kit/locales/fr.json``, ``kit.i18n``).

Walks what the services declare, bound to their default settings as at start (so a ``kept``
text's ``{setting}`` is filled, and must match one of the catalogue's templates): each
service's ``subject_data`` inventory (categories, sources, recipients, how long, lifetimes,
retention reasons, articles, exemptions), the purposes of the register (``PURPOSES``), the legal
bases, the register's controller, the archive's fixed texts, the processors the platform starts
with, and every literal the renderers translate (``text("...")``, the labels of the
register's and the record's pages, the register CSV's columns). A feature that declares a
text without its French fails here, whichever helper added it."""

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from identity.config import Settings as IdentitySettings
from identity.models import subject_data as identity
from kit.i18n import catalogue, missing, text, translate
from kit.privacy.readable import BASIS_NAMES, all_purpose_texts, inventory_texts
from kit.privacy.subject import SubjectData
from orders.config import Settings as OrdersSettings
from orders.models import subject_data as orders
from privacy.archives import document
from privacy.clients import render as clients_render
from privacy.config import Settings as PrivacySettings
from privacy.models import subject_data as privacy
from privacy.register import render as register_render
from privacy.register import service as register
from subsidies.config import Settings as SubsidiesSettings
from subsidies.models import subject_data as subsidies
from support.config import Settings as SupportSettings
from support.models import subject_data as support

ROOT = Path(__file__).resolve().parents[1]

SERVICES: dict[str, tuple[SubjectData, type]] = {
    "identity": (identity, IdentitySettings),
    "orders": (orders, OrdersSettings),
    "subsidies": (subsidies, SubsidiesSettings),
    "support": (support, SupportSettings),
    "privacy": (privacy, PrivacySettings),
}

#: Files whose label helpers translate their first argument (besides ``text`` everywhere).
RENDERERS = {
    "services/privacy/privacy/register/render.py": {"text", "w", "row", "_row"},
    "services/privacy/privacy/clients/render.py": {"text", "w", "row"},
}


@pytest.fixture(scope="module")
def declared() -> dict[str, list[str]]:
    """Per service, the texts of its inventory as the register receives them."""
    found = {}
    for name, (data, settings) in SERVICES.items():
        data.bind(settings())
        found[name] = inventory_texts(data.inventory())
    return found


def literals(path: Path, names: set[str]) -> list[str]:
    """The string literals passed first to a call of one of ``names`` in ``path``."""
    tree = ast.parse(path.read_text("utf-8"))
    uses_catalogue = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "kit.i18n"
        and any(alias.name == "text" for alias in node.names)
        for node in ast.walk(tree)
    )
    if not uses_catalogue:
        return []  # ``text`` there is another (sqlalchemy's)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if called in names and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append(first.value)
    return found


def fixed_texts() -> list[str]:
    """The renderers' own texts: every ``text("...")`` of the services and kit, the labels
    of the register's pages, the archive's and the register's constants."""
    texts = []
    sources = [*ROOT.glob("services/*/*/**/*.py"), *ROOT.glob("libs/kit/kit/**/*.py")]
    for path in sources:
        relative = str(path.relative_to(ROOT))
        if "/tests/" in relative or "/migrations/" in relative:
            continue
        texts += literals(path, RENDERERS.get(relative, {"text"}))
    texts += list(document.RIGHTS.values())
    texts += [document.COMPLAINT, document.CONTROLLER, document.NO_RECIPIENT]
    texts += [document.NO_AUTOMATED_DECISION, *register.CONTROLLER.values()]
    texts += list(BASIS_NAMES.values())
    texts += list(register_render.CSV_COLUMNS)  # the CSV's header
    texts += [*clients_render.CSV_COLUMNS, *clients_render.SECTIONS]  # the processor record's
    return texts


def default_processors() -> list[str]:
    """The name, role and data categories of the processors privacy's migration writes."""
    [path] = ROOT.glob("services/privacy/privacy/migrations/versions/*_platform_and_tenant_*.py")
    spec = importlib.util.spec_from_file_location("processors_migration", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [t for _, name, role, cats, _ in module.DEFAULTS for t in (name, role, *cats)]


def test_every_declared_text_of_every_service_has_its_french(
    declared: dict[str, list[str]],
) -> None:
    assert all(declared.values()), "a service declared nothing?"
    untranslated = {name: missing(texts) for name, texts in declared.items()}
    assert {k: v for k, v in untranslated.items() if v} == {}


def test_the_purposes_legal_bases_and_fixed_texts_have_their_french() -> None:
    fixed = fixed_texts()
    assert "Register of processing activities (Art. 30(1) GDPR)" in fixed  # the walk finds them
    assert "Legal basis" in fixed
    assert "This archive is deleted from our servers {days} days after it was made." in fixed
    assert missing(all_purpose_texts()) == []
    assert missing(fixed) == []
    assert missing(default_processors()) == []


def test_a_template_keeps_its_placeholders_in_french() -> None:
    """A translation names the same ``{placeholders}`` as its English: a value never lost."""
    names = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
    wrong = {
        english: french
        for english, french in catalogue("fr").items()
        if sorted(names.findall(english)) != sorted(names.findall(french))
    }
    assert wrong == {}


def test_a_filled_kept_text_translates_with_its_value(declared: dict[str, list[str]]) -> None:
    """``kept="{invoice_retention_years} years after..."`` arrives filled from the settings:
    French, with the same number."""
    years = OrdersSettings().invoice_retention_years
    english = f"{years} years after it is issued (accounting records)"
    assert english in declared["orders"]
    assert translate(english, "fr") == f"{years} ans après son émission (pièces comptables)"
    assert translate("3 years after our last contact", "fr") == (
        "3 ans après notre dernier contact"
    )
    assert text("Generated {when}.", "fr", when="2026-12-04") == "Établi le 2026-12-04."


def test_a_text_nobody_translated_is_reported() -> None:
    """The check can fail: a new declaration without its French is named."""
    assert missing(["while your account exists", "a brand new category"]) == [
        "a brand new category"
    ]
    # It still reads, in English, rather than failing the reader.
    assert translate("a brand new category", "fr") == "a brand new category"
