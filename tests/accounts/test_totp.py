from datetime import UTC, datetime, timedelta

import pyotp

from deliberate.accounts import totp

NOW = datetime(2026, 11, 28, 12, 0, 10, tzinfo=UTC)
SECRET = pyotp.random_base32(32)


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_current_and_adjacent_steps_are_accepted() -> None:
    step = totp.step_of(NOW)
    assert totp.verify(SECRET, code_at(NOW), now=NOW, last_step=None) == step
    assert (
        totp.verify(SECRET, code_at(NOW - timedelta(seconds=30)), now=NOW, last_step=None)
        == step - 1
    )
    assert (
        totp.verify(SECRET, code_at(NOW + timedelta(seconds=30)), now=NOW, last_step=None)
        == step + 1
    )


def test_two_steps_away_is_refused() -> None:
    assert (
        totp.verify(SECRET, code_at(NOW - timedelta(seconds=61)), now=NOW, last_step=None) is None
    )
    assert (
        totp.verify(SECRET, code_at(NOW + timedelta(seconds=61)), now=NOW, last_step=None) is None
    )


def test_a_code_is_accepted_only_once() -> None:
    step = totp.verify(SECRET, code_at(NOW), now=NOW, last_step=None)
    assert step is not None
    assert totp.verify(SECRET, code_at(NOW), now=NOW, last_step=step) is None
    # An older step is refused after a newer one was used.
    earlier = code_at(NOW - timedelta(seconds=30))
    assert totp.verify(SECRET, earlier, now=NOW, last_step=step) is None


def test_malformed_codes() -> None:
    for code in ("", "12345", "1234567", "abcdef", "12 34 5"):
        assert totp.verify(SECRET, code, now=NOW, last_step=None) is None
    spaced = code_at(NOW)
    assert totp.verify(SECRET, f"{spaced[:3]} {spaced[3:]}", now=NOW, last_step=None) is not None


def test_enrolment_material() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32
    uri = totp.provisioning_uri(secret, "someone@example.org")
    assert uri.startswith("otpauth://totp/Deliberate:someone%40example.org?secret=")
    svg = totp.qr_svg(uri, "QR")
    assert svg.startswith("<svg") and "<title>QR</title>" in svg and "<script" not in svg
    assert "viewBox=" in svg and " width=" not in svg.split(">")[0]  # scales, never crops
    assert totp.grouped("ABCDEFGH") == "ABCD EFGH"
