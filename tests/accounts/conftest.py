from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from deliberate.config import Settings
from deliberate.db import Database
from tests.support.accounts import Person, make_person

MakePerson = Callable[..., Awaitable[Person]]


@pytest.fixture
def person(database: Database, settings: Settings) -> MakePerson:
    async def make(login: str = "resident@example.org", **options: Any) -> Person:
        return await make_person(database, settings, login, **options)

    return make
