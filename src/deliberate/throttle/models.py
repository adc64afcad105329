from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class ThrottleBucket(SQLModel, table=True):
    __tablename__ = "throttle_bucket"

    key: str = Field(primary_key=True, max_length=160)
    failures: int = 0
    window_started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    blocked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
