"""Open data for minutes: every published version (and every superseded one) of the
minutes of published consultations, with the hashes that let anyone check a copy."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from deliberate.db import Database, as_utc
from deliberate.minutes import queries

AnyRequest = Request[Any, Any, Any]
PER_PAGE = 20


class MinutesSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    consultation: int  # the consultation's id (/api/v1/consultations/{id})
    consultation_title: str
    version: int
    status: str  # published (the current version) or superseded
    supersedes: int | None  # the id of the version this one replaced
    signed_at: datetime
    superseded_at: datetime | None
    pdf_sha256: str  # SHA-256 of the signed PDF, exactly as served
    snapshot_sha256: str  # SHA-256 of the JSON snapshot attached inside the PDF
    signer: str  # the signing certificate's subject (common name)
    signer_fingerprint: str  # SHA-256 of the signing certificate (DER)
    pdf: str  # where to download the signed PDF
    url: str  # its public page


class MinutesList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[MinutesSummary]
    page: int
    pages: int
    total: int


class MinutesApiController(Controller):
    path = "/api/v1/minutes"
    tags = ("minutes",)

    @get("", summary="Published minutes with their hashes, newest first")
    async def index(
        self,
        request: AnyRequest,
        database: NamedDependency[Database],
        page: Annotated[
            int, QueryParameter(ge=1, le=100_000, description="Page number, 20 per page")
        ] = 1,
    ) -> MinutesList:
        """Every published or superseded version of the minutes of a published
        consultation, by signing time, newest first. A copy of a PDF is authentic when
        its SHA-256 equals ``pdf_sha256`` (and its signature verifies with the
        certificate published on ``/verify``)."""
        async with database.read() as session:
            rows, total = await queries.public_listing(session, page, PER_PAGE)
        site = request.app.state.settings.public_url.rstrip("/")
        return MinutesList(
            items=[
                MinutesSummary(
                    id=m.id,  # type: ignore[arg-type]
                    consultation=m.consultation_id,
                    consultation_title=c.title,
                    version=m.version,
                    status=m.state,
                    supersedes=m.supersedes_id,
                    signed_at=as_utc(m.signed_at),  # type: ignore[arg-type]
                    superseded_at=as_utc(m.superseded_at) if m.superseded_at else None,
                    pdf_sha256=m.pdf_sha256 or "",
                    snapshot_sha256=m.snapshot_sha256,
                    signer=m.signer_name or "",
                    signer_fingerprint=m.signer_fingerprint or "",
                    pdf=f"{site}/minutes/{m.id}.pdf",
                    url=f"{site}/minutes/{m.id}",
                )
                for m, c in rows
            ],
            page=page,
            pages=max(1, math.ceil(total / PER_PAGE)),
            total=total,
        )
