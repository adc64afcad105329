"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s), accepting one step either side, and each step
only once: the caller stores the returned step and passes it back as ``last_step``."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

PERIOD = 30
WINDOW = 1
ISSUER = "Deliberate"


def new_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // PERIOD


def verify(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The accepted step, or None. A step at or before ``last_step`` is never accepted."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=PERIOD)
    current = step_of(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret, interval=PERIOD).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The enrolment QR code as inline SVG (no external image, CSP-safe)."""
    qr = segno.make(uri, error="m")
    # A viewBox and no fixed size, so CSS can scale it without cropping.
    return qr.svg_inline(scale=5, dark="#000", light="#fff", title=title, border=4, omitsize=True)


def grouped(secret: str) -> str:
    """The key as text, in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
