"""Decisions: what the committee decided on a consultation, citing a published version of
its minutes, with the committee's own vote by member; implementation items with a
responsible unit, a deadline and a status; dated progress updates; and the one-click
opt-out from decision notices."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, UniqueConstraint
from sqlmodel import Field, SQLModel

from deliberate.columns import fk, text, utc


class Vote(StrEnum):
    for_ = "for"
    against = "against"
    abstain = "abstain"


class ItemStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    delayed = "delayed"
    dropped = "dropped"


FINISHED = frozenset({ItemStatus.done.value, ItemStatus.dropped.value})


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _date(*, nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(Date, nullable=nullable)


class Decision(SQLModel, table=True):
    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=fk("consultation.id", ondelete="RESTRICT", index=True))
    minutes_id: int = Field(sa_column=fk("minutes.id", ondelete="RESTRICT"))
    text: str = Field(sa_column=text())  # Markdown
    adopted_on: date = Field(sa_column=_date())
    recorded_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    recorded_at: datetime = Field(sa_column=utc(nullable=False))


class DecisionVote(SQLModel, table=True):
    """How one committee member voted on the decision: at most once each."""

    __tablename__ = "decision_vote"
    __table_args__ = (
        UniqueConstraint("decision_id", "user_id"),
        CheckConstraint(_in("vote", Vote), name="vote"),
    )

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(sa_column=fk("decision.id"))
    user_id: int = Field(sa_column=fk("user_account.id", ondelete="RESTRICT", index=True))
    role: str = Field(max_length=16)  # the member's role in the committee at the time
    vote: str = Field(max_length=8)


class ImplementationItem(SQLModel, table=True):
    __tablename__ = "implementation_item"
    __table_args__ = (CheckConstraint(_in("status", ItemStatus), name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(sa_column=fk("decision.id", index=True))
    title: str = Field(max_length=200)
    responsible_unit: str = Field(max_length=200)
    deadline: date = Field(sa_column=_date())
    status: str = Field(default=ItemStatus.planned.value, max_length=16)
    created_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    created_at: datetime = Field(sa_column=utc(nullable=False))
    updated_at: datetime = Field(sa_column=utc(nullable=False))


class ProgressUpdate(SQLModel, table=True):
    """A dated note on an item, with the item's status from then on."""

    __tablename__ = "progress_update"
    __table_args__ = (CheckConstraint(_in("status", ItemStatus), name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(sa_column=fk("implementation_item.id", index=True))
    happened_on: date = Field(sa_column=_date())
    note: str = Field(sa_column=text())
    previous_status: str = Field(max_length=16)
    status: str = Field(max_length=16)
    recorded_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    recorded_at: datetime = Field(sa_column=utc(nullable=False))


class DecisionNotice(SQLModel, table=True):
    """A person told about a consultation's decision: the token makes the one-click
    link that stops these messages (and unfollows the consultation)."""

    __tablename__ = "decision_notice"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=fk("consultation.id"))
    user_id: int = Field(sa_column=fk("user_account.id", index=True))
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=utc(nullable=False))
    unsubscribed_at: datetime | None = Field(default=None, sa_column=utc())
