"""Art. 37(7): the DPO's contact is published, so it is never empty, and production refuses to
start with the example one."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from privacy.config import EXAMPLE_DPO, Settings

REAL = {
    "dpo_name": "Claire Dupont",
    "dpo_email": "dpo@client-company.fr",
    "dpo_address": "DPO, 12 avenue de la République, 69002 Lyon, France",
}


@pytest.mark.parametrize("field", sorted(EXAMPLE_DPO))
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_contact_is_refused_everywhere(tmp_path: Path, field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(var_dir=tmp_path, **{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("email", ["dpo", "dpo@localhost", "@client.fr", "dp o@client.fr"])
def test_the_contact_is_a_mail_address(tmp_path: Path, email: str) -> None:
    with pytest.raises(ValidationError, match="DPO_EMAIL"):
        Settings(var_dir=tmp_path, dpo_email=email)


def test_production_refuses_the_example_contact(tmp_path: Path) -> None:
    local = Settings(var_dir=tmp_path)
    assert (local.dpo_name, local.dpo_email, local.dpo_address) == tuple(EXAMPLE_DPO.values())
    # Only the DPO's lines are looked at: the other refusals of a local run's settings (SQLite,
    # development secrets) are kit's (tests/test_production_settings.py).
    production = local.model_copy(update={"environment": "production"})
    [problem] = [p for p in production.production_problems() if "DPO" in p]
    assert problem.startswith("DPO_NAME, DPO_EMAIL, DPO_ADDRESS: the example DPO contact")
    assert "dpo@example.test" not in problem  # names the variables, never a value
    one_left = production.model_copy(update=REAL | {"dpo_email": EXAMPLE_DPO["dpo_email"]})
    assert next(p for p in one_left.production_problems() if "DPO" in p).startswith("DPO_EMAIL:")
    real = production.model_copy(update=REAL)
    assert [p for p in real.production_problems() if "DPO" in p] == []
    # Staging (compose's rehearsal) keeps its example contact.
    staging = local.model_copy(update={"environment": "staging"})
    assert [p for p in staging.production_problems() if "DPO" in p] == []


def test_production_does_not_start_with_the_example_contact(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="DPO_NAME, DPO_EMAIL, DPO_ADDRESS"):
        Settings(var_dir=tmp_path, environment="production")
