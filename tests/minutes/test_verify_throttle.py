"""Anyone may check a PDF at /verify, but not without limit: signature checks cost CPU, so
each address gets 30 an hour, then a 429 page with Retry-After."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from deliberate.minutes.verify_page import CHECKS
from tests.support.accounts import csrf_from


async def test_the_thirty_first_check_in_an_hour_waits(client: AsyncTestClient[Any]) -> None:
    csrf = csrf_from((await client.get("/verify")).text)
    answers = []
    for _ in range(CHECKS.limit + 1):
        response = await client.post(
            "/verify",
            data={"_csrf_token": csrf},
            files={"file": ("minutes.pdf", b"not a pdf", "application/pdf")},
        )
        answers.append(response.status_code)
    assert answers[: CHECKS.limit] == [200] * CHECKS.limit
    assert answers[-1] == 429
    assert int(response.headers["retry-after"]) > 0
