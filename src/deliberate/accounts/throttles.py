"""The throttle rules of the account flows and how their keys are built."""

from __future__ import annotations

from datetime import timedelta

from deliberate.throttle.policy import Rule

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)

# Six wrong passwords from one address → 429 on the sixth; the delay doubles after that.
LOGIN_IP = Rule("login-ip", limit=5, window=15 * MINUTE, first_delay=MINUTE, max_delay=HOUR)
LOGIN_ACCOUNT_IP = Rule(
    "login-account-ip", limit=5, window=15 * MINUTE, first_delay=MINUTE, max_delay=HOUR
)
# Guesses against one account from many addresses slow down, except on a device where the
# person has signed in before (its device cookie), so an attacker cannot lock them out.
LOGIN_ACCOUNT = Rule(
    "login-account", limit=10, window=HOUR, first_delay=MINUTE, max_delay=15 * MINUTE
)
SECOND_FACTOR = Rule("2fa", limit=5, window=15 * MINUTE, first_delay=MINUTE, max_delay=HOUR)
CONFIRM = Rule("confirm", limit=5, window=15 * MINUTE, first_delay=MINUTE, max_delay=HOUR)
RESET = Rule("reset", limit=3, window=HOUR, first_delay=5 * MINUTE, max_delay=HOUR)
# Re-entering the password to confirm a sensitive change (a hijacked session must not
# become a password-guessing oracle).
REAUTH = Rule("reauth", limit=5, window=15 * MINUTE, first_delay=MINUTE, max_delay=HOUR)
REGISTER = Rule("register", limit=10, window=HOUR, first_delay=MINUTE, max_delay=HOUR)


def key(rule: Rule, *parts: str) -> str:
    return ":".join((rule.name, *parts))[:160]
