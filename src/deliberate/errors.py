"""Domain errors: raised by services, turned into pages by routes. Messages are lazy
gettext strings, so they are shown in the reader's language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: Any = None, *, field: str | None = None) -> None:
        super().__init__(str(message) if message is not None else type(self).__name__)
        self.message = message
        self.field = field


class Invalid(DomainError):
    """Input that cannot be accepted; ``field`` names the form field when there is one."""

    status_code = 400


class NotFound(DomainError):
    """Also used where the object exists but is not the actor's: no hint either way."""

    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409
