"""Key rotation keeps the previous key published, so tokens it signed stay valid."""

from datetime import timedelta
from pathlib import Path

from identity.tokens.keys import SigningKeys
from kit.auth import StaticKeys, TokenVerifier

CLAIMS: dict[str, object] = {"iss": "identity", "aud": "identity", "sub": "u", "tid": "t"}
CLAIMS |= {"tenant": "demo", "roles": ["employee"], "sid": "s"}


async def test_rotation_publishes_both_keys_and_old_tokens_still_verify(tmp_path: Path) -> None:
    keys = SigningKeys(tmp_path, reload_seconds=0)
    keys.ensure()
    verifier = TokenVerifier(StaticKeys(keys.jwks), issuer="identity", audience="identity")
    old_token = keys.sign(CLAIMS, lifetime=timedelta(minutes=2))
    new_kid = keys.rotate()
    new_token = keys.sign(CLAIMS, lifetime=timedelta(minutes=2))
    assert [k["kid"] for k in keys.jwks()["keys"]][-1] == new_kid
    assert len(keys.jwks()["keys"]) == 2
    assert (await verifier.verify(old_token)).user_id == "u"
    assert (await verifier.verify(new_token)).user_id == "u"


def test_private_keys_are_private(tmp_path: Path) -> None:
    keys = SigningKeys(tmp_path / "keys")
    keys.ensure()
    (pem,) = (tmp_path / "keys").glob("*.pem")
    assert pem.stat().st_mode & 0o077 == 0
    assert "d" not in keys.jwks()["keys"][0]  # only public parameters are published
