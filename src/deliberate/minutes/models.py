"""Minutes: numbered versions per consultation. A version is compiled (its canonical JSON
snapshot frozen), approved by the chair, rendered and signed in the background, then
published; published versions never change. An amendment is a new version whose
``supersedes_id`` names the published one it replaces once it is published itself."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from deliberate.columns import fk, text, utc


class MinutesState(StrEnum):
    draft = "draft"  # compiled; the committee previews it; compiling again replaces it
    approved = "approved"  # the chair approved it; rendering is queued
    rendering = "rendering"  # a worker renders and signs it
    published = "published"  # signed and public; never changes
    superseded = "superseded"  # published, then replaced by a later version


STATES_SQL = ", ".join(f"'{s.value}'" for s in MinutesState)
PUBLIC_STATES = (MinutesState.published.value, MinutesState.superseded.value)


class Minutes(SQLModel, table=True):
    __tablename__ = "minutes"
    __table_args__ = (
        UniqueConstraint("consultation_id", "version"),
        UniqueConstraint("pdf_sha256"),
        CheckConstraint(f"state IN ({STATES_SQL})", name="state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=fk("consultation.id", ondelete="RESTRICT"))
    version: int
    state: str = Field(default=MinutesState.draft.value, max_length=16)
    supersedes_id: int | None = Field(
        default=None, sa_column=fk("minutes.id", ondelete="RESTRICT", nullable=True)
    )
    snapshot: str = Field(sa_column=text())  # canonical JSON
    snapshot_sha256: str = Field(max_length=64)
    compiled_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    compiled_at: datetime = Field(sa_column=utc(nullable=False))
    approved_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    approved_at: datetime | None = Field(default=None, sa_column=utc())
    job_id: int | None = Field(
        default=None, sa_column=fk("job.id", ondelete="SET NULL", nullable=True)
    )
    pdf_path: str | None = Field(default=None, max_length=80)  # a name under data_dir/minutes/
    pdf_sha256: str | None = Field(default=None, max_length=64)
    pdf_size: int | None = None
    signer_fingerprint: str | None = Field(default=None, max_length=64)
    signer_name: str | None = Field(default=None, max_length=200)
    signed_at: datetime | None = Field(default=None, sa_column=utc())
    superseded_at: datetime | None = Field(default=None, sa_column=utc())

    @property
    def public(self) -> bool:
        return self.state in PUBLIC_STATES
