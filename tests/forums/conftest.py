"""Fixtures for these tests (see tests/support/hearings.py and tests/support/forums.py)."""

from tests.support.hearings import cheap_passwords

__all__ = ["cheap_passwords"]
