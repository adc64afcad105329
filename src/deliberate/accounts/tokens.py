"""Secret material: random tokens, keyed hashes for stored secrets, TOTP secret encryption.

All keys are derived from ``DELIBERATE_SECRET_KEY`` with HKDF, one key per purpose, so a
keyed hash of a reset token can never be confused with one of a recovery code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def derive_key(secret_key: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"deliberate", info=purpose.encode()
    ).derive(secret_key.encode())


class Keys:
    """Per-purpose keys, derived once from the deployment's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._tokens = derive_key(secret_key, "account-tokens")
        self._recovery = derive_key(secret_key, "recovery-codes")
        self._device = derive_key(secret_key, "device-cookies")
        self._login = derive_key(secret_key, "login-throttle")
        self._letters = derive_key(secret_key, "letter-codes")
        self._pseudonyms = derive_key(secret_key, "pseudonyms")
        self._totp = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "totp-secrets")))

    def token_hash(self, token: str) -> str:
        return hmac.new(self._tokens, token.encode(), hashlib.sha256).hexdigest()

    def recovery_hash(self, code: str) -> str:
        return hmac.new(self._recovery, code.encode(), hashlib.sha256).hexdigest()

    def letter_hash(self, code: str) -> str:
        return hmac.new(self._letters, code.encode(), hashlib.sha256).hexdigest()

    def login_tag(self, login: str) -> str:
        """A stable pseudonym for a login name, for throttle keys (never the address)."""
        return hmac.new(self._login, login.encode(), hashlib.sha256).hexdigest()[:32]

    def pseudonym(self, scope: str, user_id: int) -> str:
        """A short code for a person within one scope (a consultation): stable there,
        unlinkable across scopes. Six Crockford base32 characters (2^30 values)."""
        digest = hmac.new(self._pseudonyms, f"{scope}:{user_id}".encode(), hashlib.sha256)
        number = int.from_bytes(digest.digest()[:4], "big") >> 2
        return "".join(CROCKFORD[(number >> shift) & 31] for shift in range(25, -1, -5))

    def device_signature(self, payload: str) -> str:
        return hmac.new(self._device, payload.encode(), hashlib.sha256).hexdigest()

    def encrypt_totp(self, secret: str) -> str:
        return self._totp.encrypt(secret.encode()).decode()

    def decrypt_totp(self, token: str) -> str | None:
        try:
            return self._totp.decrypt(token.encode()).decode()
        except InvalidToken:
            return None


def session_token() -> str:
    """256 random bits for a session cookie."""
    return _random.token_urlsafe(32)


def session_hash(token: str) -> str:
    """Sessions are looked up by SHA-256: the token itself has 256 bits of entropy."""
    return hashlib.sha256(token.encode()).hexdigest()


def numeric_code(digits: int = 6) -> str:
    return f"{_random.randbelow(10**digits):0{digits}d}"


def url_token() -> str:
    return _random.token_urlsafe(32)


def public_id() -> str:
    return _random.token_hex(16)


RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def recovery_code() -> str:
    """Ten characters (about 49 bits) shown as two groups: ``xxxxx-xxxxx``."""
    raw = "".join(_random.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_recovery_code(value: str) -> str:
    cleaned = "".join(ch for ch in value.lower() if ch in RECOVERY_ALPHABET)
    return f"{cleaned[:5]}-{cleaned[5:]}" if len(cleaned) == 10 else ""


LETTER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


def letter_code() -> str:
    """Twelve characters (about 59 bits), printed as ``XXXX-XXXX-XXXX``."""
    raw = "".join(_random.choice(LETTER_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_letter_code(value: str) -> str:
    cleaned = "".join(ch for ch in value.upper() if ch in LETTER_ALPHABET)
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}" if len(cleaned) == 12 else ""
