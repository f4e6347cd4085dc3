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


def test_a_reused_token_is_the_same_for_the_same_claims_and_key_only(tmp_path: Path) -> None:
    keys = SigningKeys(tmp_path, reload_seconds=0)
    keys.ensure()
    life, reuse = timedelta(minutes=2), timedelta(seconds=30)
    first = keys.sign_reused(CLAIMS, lifetime=life, reuse=reuse)
    assert keys.sign_reused(dict(CLAIMS), lifetime=life, reuse=reuse) == first
    other_roles = CLAIMS | {"roles": ["employee", "dpo"]}
    assert keys.sign_reused(other_roles, lifetime=life, reuse=reuse) != first
    assert keys.sign_reused(CLAIMS, lifetime=life, reuse=timedelta(0)) == first  # still reused
    keys.rotate()
    assert keys.sign_reused(CLAIMS, lifetime=life, reuse=reuse) != first  # the new key signs


def test_a_reused_token_is_signed_again_once_its_reuse_is_over(tmp_path: Path) -> None:
    keys = SigningKeys(tmp_path)
    keys.ensure()
    first = keys.sign_reused(CLAIMS, lifetime=timedelta(minutes=2), reuse=timedelta(0))
    assert keys.sign_reused(CLAIMS, lifetime=timedelta(minutes=2), reuse=timedelta(0)) != first
