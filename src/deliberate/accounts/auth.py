"""Who is asking: the signed-in user, their session and the roles that make them
privileged. Loaded once per request by :mod:`deliberate.accounts.middleware`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from deliberate.accounts import policy
from deliberate.accounts.models import User, UserSession


@dataclass(frozen=True)
class Auth:
    user: User
    session: UserSession
    committee_member: bool
    officer: bool
    expert: bool = False

    @property
    def privileged(self) -> bool:
        """Roles that must use two-factor: admins, committee members, officers, experts."""
        return self.user.is_admin or self.committee_member or self.officer or self.expert

    @property
    def second_factor(self) -> bool:
        return self.session.second_factor_at is not None

    @property
    def awaiting_second_factor(self) -> bool:
        """Password accepted, code not yet: not signed in for any other purpose."""
        return self.user.has_totp and not self.second_factor

    @property
    def signed_in(self) -> bool:
        return not self.awaiting_second_factor

    @property
    def confirmed(self) -> bool:
        return self.user.confirmed_at is not None

    def seconds_left(self, now: datetime | None = None) -> int:
        """Until the session ends without activity (the page counts down from this, so a
        wrong clock on the person's device does not matter)."""
        moment = now or datetime.now(UTC)
        return max(int((self.expires_at() - moment).total_seconds()), 0)

    def expires_at(self) -> datetime:
        return policy.expires_at(
            created_at=self.session.created_at,
            last_seen_at=self.session.last_seen_at,
            absolute_at=self.session.expires_at,
            privileged=self.privileged,
        )
