from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel


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
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=True, index=True
        ),
    )

    def display_name(self, locale: str) -> str:
        if locale.startswith("en") and self.name_en:
            return self.name_en
        return self.name
