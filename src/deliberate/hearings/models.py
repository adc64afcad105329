from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from deliberate.columns import fk, text, utc


class Stance(StrEnum):
    support = "support"
    oppose = "oppose"
    suggestion = "suggestion"
    question = "question"


class Verdict(StrEnum):
    """The committee's answer to a comment."""

    adopted = "adopted"
    partly = "partly"
    not_adopted = "not_adopted"
    noted = "noted"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Hearing(SQLModel, table=True):
    """A draft open for comment in a window. Its eligibility rule is stored as canonical
    JSON with its SHA-256 and cannot change once the window opens."""

    __tablename__ = "hearing"

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=fk("consultation.id", index=True))
    title: str = Field(max_length=200)
    opens_at: datetime = Field(sa_column=utc(nullable=False))
    closes_at: datetime = Field(sa_column=utc(nullable=False))
    rule: str = Field(sa_column=text())
    rule_sha256: str = Field(max_length=64)
    created_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    created_at: datetime = Field(sa_column=utc(nullable=False))


class DocumentVersion(SQLModel, table=True):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("hearing_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(sa_column=fk("hearing.id"))
    number: int
    body: str = Field(sa_column=text())  # the whole Markdown source
    change_note: str = Field(default="", max_length=500)
    published_at: datetime = Field(sa_column=utc(nullable=False))
    published_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )


class Section(SQLModel, table=True):
    __tablename__ = "document_section"
    __table_args__ = (UniqueConstraint("version_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(sa_column=fk("document_version.id"))
    number: int
    heading: str = Field(max_length=200)
    body: str = Field(sa_column=text())


class Comment(SQLModel, table=True):
    """A comment on a section (with a stance) or a reply in its thread (without one).
    Deleting keeps the row as a tombstone; hiding keeps it with a public reason."""

    __tablename__ = "comment"
    __table_args__ = (
        CheckConstraint(
            f"(parent_id IS NULL AND {_in('stance', Stance)}) "
            "OR (parent_id IS NOT NULL AND stance IS NULL)",
            name="stance",
        ),
        Index("ix_comment_listing", "hearing_id", "root_id", "created_at"),
        Index("ix_comment_endorsed", "hearing_id", "root_id", "endorsements"),
        Index("ix_comment_section", "section_id", "root_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(sa_column=fk("hearing.id"))
    section_id: int = Field(sa_column=fk("document_section.id"))
    parent_id: int | None = Field(default=None, sa_column=fk("comment.id", nullable=True))
    root_id: int | None = Field(default=None, sa_column=fk("comment.id", nullable=True))
    author_id: int = Field(sa_column=fk("user_account.id", ondelete="RESTRICT", index=True))
    stance: str | None = Field(default=None, max_length=16)
    body: str = Field(sa_column=text())
    created_at: datetime = Field(sa_column=utc(nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=utc())
    deleted_at: datetime | None = Field(default=None, sa_column=utc())
    hidden_at: datetime | None = Field(default=None, sa_column=utc())
    hidden_reason: str | None = Field(default=None, max_length=300)
    endorsements: int = 0
    replies: int = 0

    @property
    def visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class Endorsement(SQLModel, table=True):
    __tablename__ = "endorsement"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(sa_column=fk("comment.id"))
    user_id: int = Field(sa_column=fk("user_account.id", index=True))
    created_at: datetime = Field(sa_column=utc(nullable=False))


class Flag(SQLModel, table=True):
    """Someone asks the moderators to look at a comment."""

    __tablename__ = "comment_flag"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(sa_column=fk("comment.id"))
    user_id: int = Field(sa_column=fk("user_account.id", index=True))
    reason: str = Field(max_length=300)
    created_at: datetime = Field(sa_column=utc(nullable=False))
    handled_at: datetime | None = Field(default=None, sa_column=utc())


class ModerationAction(SQLModel, table=True):
    """The public moderation log of a hearing."""

    __tablename__ = "moderation_action"
    __table_args__ = (CheckConstraint("action IN ('hide', 'restore')", name="action"),)

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(sa_column=fk("hearing.id", index=True))
    comment_id: int = Field(sa_column=fk("comment.id"))
    action: str = Field(max_length=16)
    reason: str = Field(max_length=300)
    actor_id: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    acted_at: datetime = Field(sa_column=utc(nullable=False))


class Response(SQLModel, table=True):
    """The committee's one answer to a comment."""

    __tablename__ = "comment_response"
    __table_args__ = (
        UniqueConstraint("comment_id"),
        CheckConstraint(_in("verdict", Verdict), name="verdict"),
    )

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(sa_column=fk("comment.id"))
    verdict: str = Field(max_length=16)
    explanation: str = Field(sa_column=text())
    responded_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    responded_at: datetime = Field(sa_column=utc(nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=utc())


class SpeakerCall(SQLModel, table=True):
    """The call for speakers at the in-person hearing, and its public lottery.

    Before the draw the applicant list (tickets and stances), its SHA-256 and the
    commitment to the secret are published; the secret stays unpublished until the draw,
    which combines it with the public value announced in advance."""

    __tablename__ = "speaker_call"
    __table_args__ = (UniqueConstraint("hearing_id"),)

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(sa_column=fk("hearing.id"))
    seats: int
    quotas: str = Field(default="{}", max_length=200)  # JSON {stance: seats}
    applications_close_at: datetime = Field(sa_column=utc(nullable=False))
    value_source: str = Field(max_length=300)  # where the public value will come from
    created_at: datetime = Field(sa_column=utc(nullable=False))
    committed_at: datetime | None = Field(default=None, sa_column=utc())
    commitment: str | None = Field(default=None, max_length=64)
    secret: str | None = Field(default=None, max_length=64)  # published at the draw
    applicants: str | None = Field(default=None, sa_column=text(nullable=True))  # JSON
    applicants_sha256: str | None = Field(default=None, max_length=64)
    public_value: str | None = Field(default=None, max_length=200)
    drawn_at: datetime | None = Field(default=None, sa_column=utc())
    selected: str | None = Field(default=None, sa_column=text(nullable=True))  # JSON tickets
    reserve: str | None = Field(default=None, sa_column=text(nullable=True))  # JSON tickets


class SpeakerApplication(SQLModel, table=True):
    __tablename__ = "speaker_application"
    __table_args__ = (
        UniqueConstraint("call_id", "user_id"),
        CheckConstraint(_in("stance", Stance), name="stance"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(sa_column=fk("speaker_call.id"))
    user_id: int = Field(sa_column=fk("user_account.id", ondelete="RESTRICT", index=True))
    stance: str = Field(max_length=16)
    summary: str = Field(max_length=500)
    created_at: datetime = Field(sa_column=utc(nullable=False))
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc())
    ticket: int | None = None  # numbered when the list is published
    seat: int | None = None  # speaking order when drawn; None: not drawn (or not yet)


class HearingSession(SQLModel, table=True):
    """A sitting of the in-person hearing; its record is public once closed."""

    __tablename__ = "hearing_session"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(sa_column=fk("hearing.id", index=True))
    starts_at: datetime = Field(sa_column=utc(nullable=False))
    place: str = Field(max_length=200)
    agenda: str = Field(sa_column=text())  # Markdown
    attendance: int | None = None
    attendance_note: str = Field(default="", max_length=500)
    created_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    closed_at: datetime | None = Field(default=None, sa_column=utc())
    closed_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )


class Statement(SQLModel, table=True):
    """What one speaker said, as the secretary recorded it."""

    __tablename__ = "hearing_statement"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(sa_column=fk("hearing_session.id", index=True))
    speaker: str = Field(max_length=100)
    application_id: int | None = Field(
        default=None, sa_column=fk("speaker_application.id", ondelete="SET NULL", nullable=True)
    )
    spoken_at: datetime = Field(sa_column=utc(nullable=False))
    summary: str = Field(sa_column=text())
    recorded_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    recorded_at: datetime = Field(sa_column=utc(nullable=False))
