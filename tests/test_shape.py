"""The services keep one shape (docs/shape.md): the modules every service has, and every
feature package under the layers contract that import-linter checks in ``make lint``."""

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ["identity", "orders", "subsidies", "support", "privacy"]
TOP_LEVEL = ["main", "config", "context", "base", "models", "handlers", "jobs", "worker"]
FEATURE_ROLES = {"models", "schemas", "repository", "service", "api"}


def features(service: str) -> list[Path]:
    package = ROOT / "services" / service / service
    return sorted(
        d for d in package.iterdir() if (d / "__init__.py").exists() and d.name != "migrations"
    )


def contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_top_level_modules(service: str) -> None:
    package = ROOT / "services" / service / service
    missing = [m for m in TOP_LEVEL if not (package / f"{m}.py").exists()]
    assert not missing, f"{service} lacks {missing}"
    assert not (package / "api").exists(), "routes live in each feature's api.py"
    assert not (package / "service.py").exists(), "rules live in each feature's service.py"


@pytest.mark.parametrize("service", SERVICES)
def test_every_feature_is_a_package_of_the_known_roles(service: str) -> None:
    packages = features(service)
    assert len(packages) >= 2, f"{service} has no feature packages"
    for feature in packages:
        modules = {p.stem for p in feature.glob("*.py")} - {"__init__"}
        assert modules & FEATURE_ROLES, f"{feature} has none of {sorted(FEATURE_ROLES)}"


def test_every_feature_package_is_under_the_layers_contract() -> None:
    [layers] = [c for c in contracts() if c["type"] == "layers"]
    containers = set(layers["containers"])  # type: ignore[call-overload]
    expected = {f"{s}.{f.name}" for s in SERVICES for f in features(s)}
    assert expected - containers == set(), "add the new feature to [tool.importlinter]"
    assert containers - expected == set(), "a container that is no longer a feature"
