from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel


class GlobalRole(StrEnum):
    resident = "resident"
    admin = "admin"


def _utc(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


def _user_fk(*, index: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(
        Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=index
    )


class User(SQLModel, table=True):
    """A person's account. After deletion the row stays (contributions point at it) with
    every personal field cleared: it then shows as "deleted account"."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('resident', 'admin')", name="role"),
        CheckConstraint(
            "deleted_at IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL", name="contact"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)  # pseudonymous id for logs and audit
    email: str | None = Field(default=None, max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    display_name: str = Field(max_length=60)
    password_hash: str | None = Field(default=None, max_length=200)
    role: str = Field(default=GlobalRole.resident.value, max_length=16)
    locale: str = Field(default="zh_CN", max_length=8)
    publish_name: bool = False  # consent to show the display name on public records
    privacy_version: str = Field(max_length=16)
    privacy_accepted_at: datetime = Field(sa_column=_utc(nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=_utc())
    totp_secret: str | None = Field(default=None, max_length=300)  # encrypted
    totp_enabled_at: datetime | None = Field(default=None, sa_column=_utc())
    totp_last_step: int | None = None
    password_changed_at: datetime | None = Field(default=None, sa_column=_utc())
    created_at: datetime = Field(sa_column=_utc(nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=_utc())

    @property
    def login(self) -> str:
        return self.email or self.phone or ""

    @property
    def is_admin(self) -> bool:
        return self.role == GlobalRole.admin.value

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None


class UserSession(SQLModel, table=True):
    """A server-side session. Only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(sa_column=_user_fk())
    created_at: datetime = Field(sa_column=_utc(nullable=False))
    last_seen_at: datetime = Field(sa_column=_utc(nullable=False))
    expires_at: datetime = Field(sa_column=_utc(nullable=False))  # absolute limit
    second_factor_at: datetime | None = Field(default=None, sa_column=_utc())
    user_agent: str = Field(default="", max_length=200)


class TokenPurpose(StrEnum):
    confirm = "confirm"
    reset = "reset"


class AccountToken(SQLModel, table=True):
    """A single-use secret (a confirmation code or a reset link), stored as an HMAC."""

    __tablename__ = "account_token"
    __table_args__ = (CheckConstraint("purpose IN ('confirm', 'reset')", name="purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_user_fk())
    purpose: str = Field(max_length=16)
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=_utc(nullable=False))
    expires_at: datetime = Field(sa_column=_utc(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_utc())


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_user_fk(index=False))
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_column=_utc())
