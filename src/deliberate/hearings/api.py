"""Open data for hearings: the public record of a speaker lottery (docs/lottery.md)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.hearings import queries, speakers


@dataclass(frozen=True)
class LotteryApplicant:
    ticket: int
    stance: str  # support, oppose, suggestion or question


@dataclass(frozen=True)
class LotteryRecord:
    """Everything needed to re-run the draw with docs/rerun_lottery.py. Before the list is
    published ``applicants`` is empty and the digests are null; ``public_value``,
    ``secret``, ``selected`` and ``reserve`` are null until the draw."""

    algorithm: str
    seats: int
    quotas: dict[str, int]
    applicants: list[LotteryApplicant]
    applicants_sha256: str | None
    commitment: str | None
    value_source: str
    public_value: str | None
    secret: str | None
    selected: list[int] | None
    reserve: list[int] | None


class HearingApiController(Controller):
    path = "/api/v1/hearings"

    @get(
        "/{id:int}/lottery",
        summary="The public record of a hearing's speaker lottery",
        tags=["hearings"],
    )
    async def lottery(
        self, database: NamedDependency[Database], id: FromPath[int]
    ) -> LotteryRecord:
        """The call for speakers' lottery: the published applicant list (tickets and
        stances, no names), its SHA-256, the commitment to the secret and, after the draw,
        the public value, the secret and the result. 404 when the hearing has no call for
        speakers or its consultation is not published."""
        async with database.read() as session:
            view = await queries.hearing_view(session, id)
            if view is None or not view.consultation.published:
                raise NotFound()
            call = await speakers.call_of(session, id)
        if call is None:
            raise NotFound()
        record = speakers.public_record(call)
        return LotteryRecord(
            **{
                **record,
                "applicants": [LotteryApplicant(**a) for a in record["applicants"]],  # type: ignore[attr-defined]
            }
        )
