"""Polls. The voter roll says who voted; the ballots say how — and nothing links them:
a ballot has no user id, no time and no sequential key, and its table has no hidden
row order either (SQLite ``WITHOUT ROWID``; ballots are rewritten in random order when
the poll closes)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from deliberate.columns import fk, text, utc


class Method(StrEnum):
    single = "single"
    approval = "approval"
    ranked = "ranked"
    score = "score"
    budget = "budget"


METHODS_SQL = ", ".join(f"'{m.value}'" for m in Method)
MAX_SCORE = 5


class Poll(SQLModel, table=True):
    """Its settings can change until the committee freezes it; freezing stores their
    canonical JSON and SHA-256 and draws the tie-break seed. Votes count only while it is
    frozen and inside its window; closing shuffles the ballots and stores the tally."""

    __tablename__ = "poll"
    __table_args__ = (CheckConstraint(f"method IN ({METHODS_SQL})", name="method"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=fk("consultation.id", index=True))
    title: str = Field(max_length=200)
    question: str = Field(max_length=500)
    description: str = Field(default="", sa_column=text())  # Markdown
    method: str = Field(max_length=16)
    max_choices: int | None = None  # approval
    budget: int | None = None  # budget
    rule: str = Field(sa_column=text())  # eligibility, canonical JSON
    opens_at: datetime = Field(sa_column=utc(nullable=False))
    closes_at: datetime = Field(sa_column=utc(nullable=False))
    created_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    created_at: datetime = Field(sa_column=utc(nullable=False))
    frozen_at: datetime | None = Field(default=None, sa_column=utc())
    settings: str | None = Field(default=None, sa_column=text(nullable=True))  # canonical
    settings_sha256: str | None = Field(default=None, max_length=64)
    tie_break_seed: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = Field(default=None, sa_column=utc())

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class PollOption(SQLModel, table=True):
    __tablename__ = "poll_option"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(sa_column=fk("poll.id", index=True))
    position: int
    label: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    cost: int = 0


class VoterRoll(SQLModel, table=True):
    """Who voted (online, or on paper entered by an officer): one row per person and
    poll, a database constraint. Nothing here says how."""

    __tablename__ = "voter_roll"
    __table_args__ = (
        UniqueConstraint("poll_id", "user_id"),
        CheckConstraint("channel IN ('online', 'paper')", name="channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(sa_column=fk("poll.id"))
    user_id: int = Field(sa_column=fk("user_account.id", ondelete="RESTRICT", index=True))
    channel: str = Field(default="online", max_length=8)
    entered_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )


class Ballot(SQLModel, table=True):
    """How someone voted, and nothing else: the poll, the receipt and the content."""

    __tablename__ = "ballot"
    __table_args__ = {"sqlite_with_rowid": False}

    poll_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    receipt: str = Field(sa_column=Column(String(64), primary_key=True, nullable=False))
    content: str = Field(sa_column=text())  # canonical JSON of the choice


class Tally(SQLModel, table=True):
    """The result computed at closing, with the hashes that let anyone check it."""

    __tablename__ = "poll_tally"

    poll_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    result: str = Field(sa_column=text())  # canonical JSON
    result_sha256: str = Field(max_length=64)
    board_sha256: str = Field(max_length=64)
    ballots: int
    roll: int
    computed_at: datetime = Field(sa_column=utc(nullable=False))
