"""Every table model, imported in one place so that Alembic and the tests see them all."""

from sqlmodel import SQLModel

from deliberate import db as _db  # noqa: F401  (sets the naming convention first)
from deliberate.identity.models import Area

metadata = SQLModel.metadata

__all__ = ["Area", "metadata"]
