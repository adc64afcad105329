import re

import pytest
from argon2 import PasswordHasher

from deliberate.accounts import passwords
from deliberate.accounts.passwords import PasswordRejected, check_policy

# The hashes here are the production ones (the suite's default is the cheapest cost).
pytestmark = pytest.mark.production_argon2


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("1234567", "too_short"),
        ("短密码七个字符", "too_short"),
        ("x" * 129, "too_long"),
        ("123456789", "common"),
        ("woaini1314", "common"),
        ("WoAiNi1314", "common"),
        ("password1", "common"),
        ("qq123456", "common"),
        ("1qaz2wsx", "common"),
        ("5201314520", "common"),
    ],
)
def test_refused(password: str, code: str) -> None:
    with pytest.raises(PasswordRejected) as refused:
        check_policy(password)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "password",
    ["8 chars!", "我的密码是一句话吗", "horse battery staple", "🔐🔑🗝️🔒🔓🛡️🧷🪪", "长" * 128],
)
def test_accepted_in_any_script_without_composition_rules(password: str) -> None:
    check_policy(password)


def test_password_equal_to_the_login_is_refused() -> None:
    with pytest.raises(PasswordRejected):
        check_policy("someone@example.org", context=("someone@example.org",))


async def test_argon2id_at_rfc9106_low_memory_or_stronger() -> None:
    stored = await passwords.hash_password("长" * 128)
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    assert match, stored
    memory, time_cost, _parallel = map(int, match.groups())
    assert memory >= 19456 and time_cost >= 2
    assert await passwords.verify_password(stored, "长" * 128)
    assert not await passwords.verify_password(stored, "长" * 127)
    assert not passwords.needs_rehash(stored)


async def test_weaker_hashes_need_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("whatever-123")
    assert passwords.needs_rehash(weak)
    assert await passwords.verify_password(weak, "whatever-123")


async def test_verifying_without_a_hash_fails() -> None:
    assert not await passwords.verify_password(None, "anything at all")
    assert not await passwords.verify_password("not-a-hash", "anything at all")
