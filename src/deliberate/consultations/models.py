from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from deliberate.columns import fk, text, utc


class Stage(StrEnum):
    """The life of a consultation, in order."""

    draft = "draft"  # being prepared: only the committee sees it
    open = "open"  # hearings, forums and polls take part
    deliberation = "deliberation"  # participation over; the committee weighs it
    minutes = "minutes"
    decided = "decided"
    implementing = "implementing"
    closed = "closed"


STAGES = tuple(Stage)
STAGES_SQL = ", ".join(f"'{stage.value}'" for stage in Stage)


class Consultation(SQLModel, table=True):
    """The matter a committee puts before the residents of an area."""

    __tablename__ = "consultation"
    __table_args__ = (CheckConstraint(f"stage IN ({STAGES_SQL})", name="stage"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(sa_column=fk("committee.id", ondelete="RESTRICT", index=True))
    area_id: int = Field(sa_column=fk("area.id", ondelete="RESTRICT", index=True))
    title: str = Field(max_length=200)
    summary: str = Field(sa_column=text())  # Markdown
    budget: str = Field(default="", max_length=100)
    buildings: str = Field(default="", max_length=300)
    contact: str = Field(default="", max_length=300)
    milestones: str = Field(default="[]", sa_column=text())  # JSON [[ISO date, text], ...]
    stage: str = Field(default=Stage.draft.value, max_length=16, index=True)
    created_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    created_at: datetime = Field(sa_column=utc(nullable=False))
    updated_at: datetime = Field(sa_column=utc(nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=utc())

    @property
    def published(self) -> bool:
        return self.published_at is not None


class StageChange(SQLModel, table=True):
    """When a consultation entered a stage (its public timeline)."""

    __tablename__ = "consultation_stage_change"

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=fk("consultation.id", index=True))
    stage: str = Field(max_length=16)
    changed_at: datetime = Field(sa_column=utc(nullable=False))


class Follower(SQLModel, table=True):
    """A person who asked to hear about a consultation. The token makes the one-click
    unsubscribe link in every message (it works without signing in)."""

    __tablename__ = "consultation_follower"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=fk("consultation.id"))
    user_id: int = Field(sa_column=fk("user_account.id", index=True))
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=utc(nullable=False))
