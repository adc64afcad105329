from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


def _fk(
    target: str, *, ondelete: str = "CASCADE", nullable: bool = False, index: bool = False
) -> Column:  # type: ignore[type-arg]
    return Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


class AreaKind(StrEnum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"
    village = "village"


AREA_KINDS_SQL = ", ".join(f"'{kind.value}'" for kind in AreaKind)


class Area(SQLModel, table=True):
    """A node of the area tree: city → district → street → community or village."""

    __tablename__ = "area"
    __table_args__ = (CheckConstraint(f"kind IN ({AREA_KINDS_SQL})", name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    kind: str = Field(max_length=16)
    parent_id: int | None = Field(
        default=None,
        sa_column=_fk("area.id", ondelete="RESTRICT", nullable=True, index=True),
    )

    def display_name(self, locale: str) -> str:
        if locale.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class CommitteeRole(StrEnum):
    chair = "chair"
    secretary = "secretary"
    member = "member"


class Committee(SQLModel, table=True):
    """A residents' committee (or street office) that runs consultations for an area."""

    __tablename__ = "committee"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(sa_column=_fk("area.id", ondelete="RESTRICT"))
    name: str = Field(max_length=100)
    name_en: str | None = Field(default=None, max_length=100)

    def display_name(self, locale: str) -> str:
        if locale.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class CommitteeMember(SQLModel, table=True):
    __tablename__ = "committee_member"
    __table_args__ = (
        UniqueConstraint("committee_id", "user_id"),
        CheckConstraint("role IN ('chair', 'secretary', 'member')", name="role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(sa_column=_fk("committee.id"))
    user_id: int = Field(sa_column=_fk("user_account.id", index=True))
    role: str = Field(max_length=16)


class AreaOfficer(SQLModel, table=True):
    """A verification officer of an area."""

    __tablename__ = "area_officer"
    __table_args__ = (UniqueConstraint("area_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(sa_column=_fk("area.id"))
    user_id: int = Field(sa_column=_fk("user_account.id", index=True))


class CensusEntry(SQLModel, table=True):
    """One resident on an imported roll: never the identity number, only its keyed tag
    (HMAC-SHA256 under the census key, which lives outside the database), the key's
    version, the area and the birth year."""

    __tablename__ = "census_entry"
    __table_args__ = (UniqueConstraint("key_version", "tag"),)

    id: int | None = Field(default=None, primary_key=True)
    key_version: str = Field(max_length=16)
    tag: str = Field(max_length=64)
    area_id: int = Field(sa_column=_fk("area.id"))
    birth_year: int
    imported_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class VerificationMethod(StrEnum):
    census = "census"
    letter = "letter"
    in_person = "in_person"
    national_id = "national_id"


class Verification(SQLModel, table=True):
    """That a person is a verified resident of an area: how, by whom, until when."""

    __tablename__ = "verification"
    __table_args__ = (
        CheckConstraint(
            "method IN ('census', 'letter', 'in_person', 'national_id')", name="method"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("user_account.id", index=True))
    area_id: int = Field(sa_column=_fk("area.id", ondelete="RESTRICT"))
    method: str = Field(max_length=16)
    birth_year: int | None = None
    verified_by: int | None = Field(
        default=None,
        sa_column=_fk("user_account.id", ondelete="SET NULL", nullable=True),
    )
    verified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    valid_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoke_reason: str | None = Field(default=None, max_length=200)


class LetterCode(SQLModel, table=True):
    """A one-time code printed in a letter to a household; stored as a keyed hash."""

    __tablename__ = "letter_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    area_id: int = Field(sa_column=_fk("area.id"))
    batch: str = Field(max_length=32, index=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    used_by: int | None = Field(
        default=None,
        sa_column=_fk("user_account.id", ondelete="SET NULL", nullable=True),
    )


class VerificationRequest(SQLModel, table=True):
    """A resident asks to be verified in person at the committee's office."""

    __tablename__ = "verification_request"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'declined', 'withdrawn')", name="status"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("user_account.id", index=True))
    area_id: int = Field(sa_column=_fk("area.id"))
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    decided_by: int | None = Field(
        default=None,
        sa_column=_fk("user_account.id", ondelete="SET NULL", nullable=True),
    )
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    decline_reason: str | None = Field(default=None, max_length=200)


class ExpertCredential(SQLModel, table=True):
    """A committee member verified this person's expertise for the committee's work."""

    __tablename__ = "expert_credential"
    __table_args__ = (UniqueConstraint("committee_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(sa_column=_fk("committee.id"))
    user_id: int = Field(sa_column=_fk("user_account.id", index=True))
    field: str = Field(max_length=100)
    organisation: str = Field(max_length=100)
    title: str = Field(max_length=100)
    verified_by: int | None = Field(
        default=None,
        sa_column=_fk("user_account.id", ondelete="SET NULL", nullable=True),
    )
    verified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
