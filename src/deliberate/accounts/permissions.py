"""Named permissions of the account area, as predicates over (auth, object, now).

Privileged work needs a session that passed the second factor; that is part of each
privileged predicate, so a password-only session of an admin is refused here too, not
only sent to the 2FA page by the route guard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from deliberate.accounts.auth import Auth
from deliberate.errors import Forbidden
from deliberate.web.i18n import lazy_gettext as _l

Predicate = Callable[[Auth | None, Any, datetime | None], bool]


def _signed_in(auth: Auth | None) -> bool:
    return auth is not None and auth.signed_in


def _admin(auth: Auth | None, _obj: Any = None, _now: datetime | None = None) -> bool:
    return _signed_in(auth) and auth.user.is_admin and auth.second_factor  # type: ignore[union-attr]


def _take_part(auth: Auth | None, _obj: Any = None, _now: datetime | None = None) -> bool:
    return _signed_in(auth) and auth.confirmed  # type: ignore[union-attr]


def _own_account(auth: Auth | None, _obj: Any = None, _now: datetime | None = None) -> bool:
    return _signed_in(auth)


PERMISSIONS: dict[str, Predicate] = {
    "account.manage": _own_account,
    "account.take_part": _take_part,
    "users.manage": _admin,
    "outbox.read": _admin,
    "audit.read": _admin,
}


def allowed(auth: Auth | None, name: str, obj: Any = None, now: datetime | None = None) -> bool:
    return PERMISSIONS[name](auth, obj, now)


def require(auth: Auth | None, name: str, obj: Any = None, now: datetime | None = None) -> None:
    if not allowed(auth, name, obj, now):
        raise Forbidden(_l("You are not allowed to do that."))


def second_factor_step(auth: Auth) -> str | None:
    """Where a privileged person must go before privileged pages: enrol, or enter a code."""
    if not auth.privileged:
        return None
    if not auth.user.has_totp:
        return "/accounts/two-factor"
    if not auth.second_factor:
        return "/accounts/login/verify"
    return None
