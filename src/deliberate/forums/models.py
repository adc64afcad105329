"""Expert forums: the committee's questions, the experts it invites, and their sealed
opinions. An opinion's submitted versions are canonical JSON with their SHA-256 (the
expert's receipt); nothing of an opinion is readable by anyone but its author before the
forum's deadline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from deliberate.columns import fk, utc
from deliberate.columns import text as long_text


class Publication(StrEnum):
    """How released opinions are shown (decided before experts write)."""

    named = "named"  # the expert's name and title
    anonymised = "anonymised"  # "Expert B, structural engineering"
    confidential = "confidential"  # the committee only


class InvitationStatus(StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"


class Confidence(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Recommendation(StrEnum):
    """What the expert advises on a question; tallied on the digest."""

    proceed = "proceed"
    proceed_with_changes = "proceed_with_changes"
    do_not_proceed = "do_not_proceed"
    further_study = "further_study"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class ExpertForum(SQLModel, table=True):
    __tablename__ = "expert_forum"
    __table_args__ = (CheckConstraint(_in("publication", Publication), name="publication"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=fk("consultation.id", index=True))
    title: str = Field(max_length=200)
    description: str = Field(sa_column=long_text())  # Markdown
    deadline: datetime = Field(sa_column=utc(nullable=False))
    publication: str = Field(max_length=20)
    created_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    created_at: datetime = Field(sa_column=utc(nullable=False))
    # Set once by whoever first notices the deadline has passed (the audit event too);
    # reading never waits for it: the deadline itself releases.
    released_at: datetime | None = Field(default=None, sa_column=utc())


class ForumQuestion(SQLModel, table=True):
    __tablename__ = "forum_question"
    __table_args__ = (UniqueConstraint("forum_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    forum_id: int = Field(sa_column=fk("expert_forum.id"))
    number: int
    text: str = Field(max_length=300)
    background: str = Field(sa_column=long_text())  # Markdown


class ForumInvitation(SQLModel, table=True):
    """One expert's place in a forum: invited (by account or by e-mail address), accepted
    or declined, their conflict-of-interest declaration, and their letter ("Expert B")."""

    __tablename__ = "forum_invitation"
    __table_args__ = (
        UniqueConstraint("forum_id", "user_id"),
        UniqueConstraint("forum_id", "letter"),
        CheckConstraint(_in("status", InvitationStatus), name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    forum_id: int = Field(sa_column=fk("expert_forum.id"))
    letter: str = Field(max_length=4)
    address: str = Field(max_length=254)  # where the invitation was sent
    token_sha256: str = Field(max_length=64, unique=True)
    user_id: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    status: str = Field(default=InvitationStatus.invited.value, max_length=20)
    decline_reason: str = Field(default="", max_length=500)
    invited_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    invited_at: datetime = Field(sa_column=utc(nullable=False))
    responded_at: datetime | None = Field(default=None, sa_column=utc())
    # None: not declared yet; "": no conflict; otherwise the description.
    conflicts: str | None = Field(default=None, sa_column=long_text(nullable=True))
    declared_at: datetime | None = Field(default=None, sa_column=utc())


class OpinionDraft(SQLModel, table=True):
    """What the expert is writing (canonical JSON of the answers), saved as they write."""

    __tablename__ = "opinion_draft"
    __table_args__ = (UniqueConstraint("invitation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(sa_column=fk("forum_invitation.id"))
    content: str = Field(sa_column=long_text())
    saved_at: datetime = Field(sa_column=utc(nullable=False))


class OpinionVersion(SQLModel, table=True):
    """A submitted opinion: number 1 is the first submission, later ones amend it. The
    content is canonical JSON (answers, declaration, attachments by hash); its SHA-256 is
    the expert's receipt."""

    __tablename__ = "opinion_version"
    __table_args__ = (UniqueConstraint("invitation_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(sa_column=fk("forum_invitation.id"))
    number: int
    content: str = Field(sa_column=long_text())
    sha256: str = Field(max_length=64)
    submitted_at: datetime = Field(sa_column=utc(nullable=False))


class OpinionAttachment(SQLModel, table=True):
    """A PDF the expert attached, stored under the data directory by a server-chosen name.
    Removing it from the draft keeps the file: a submitted version may cite it."""

    __tablename__ = "opinion_attachment"

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(sa_column=fk("forum_invitation.id", index=True))
    stored_name: str = Field(max_length=64, unique=True)
    filename: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = Field(sa_column=utc(nullable=False))
    removed_at: datetime | None = Field(default=None, sa_column=utc())


class FollowUp(SQLModel, table=True):
    """After release, the committee's further question to one expert and the answer."""

    __tablename__ = "forum_follow_up"

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(sa_column=fk("forum_invitation.id", index=True))
    question: str = Field(sa_column=long_text())
    asked_by: int | None = Field(
        default=None, sa_column=fk("user_account.id", ondelete="SET NULL", nullable=True)
    )
    asked_at: datetime = Field(sa_column=utc(nullable=False))
    answer: str | None = Field(default=None, sa_column=long_text(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=utc())
