"""Column helpers shared by table models: foreign keys and UTC timestamps."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, Text


def fk(
    target: str, *, ondelete: str = "CASCADE", nullable: bool = False, index: bool = False
) -> Column:  # type: ignore[type-arg]
    return Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


def utc(*, nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


def text(*, nullable: bool = False) -> Column:  # type: ignore[type-arg]
    """Unbounded text (Markdown bodies, canonical JSON); lengths are checked on input."""
    return Column(Text, nullable=nullable)
