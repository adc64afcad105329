import stat
from ipaddress import ip_network
from pathlib import Path

import pytest

from deliberate.config import PRODUCTION_SECRETS, ConfigError, Settings
from tests.conftest import production_env


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DELIBERATE_DATA_DIR": str(tmp_path / "data"), **extra}


def test_development_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env(env_for(tmp_path))
    assert settings.env == "development"
    assert settings.debug
    assert settings.database_url == (
        f"sqlite+aiosqlite:///{(tmp_path / 'data').resolve() / 'deliberate.sqlite3'}"
    )
    assert settings.time_zone == "Asia/Shanghai"
    assert settings.trusted_proxies == ()


def test_development_secrets_are_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = Settings.from_env(env_for(tmp_path))
    second = Settings.from_env(env_for(tmp_path))
    assert first.secret_key == second.secret_key
    assert first.census_key == second.census_key
    assert first.secret_key != first.census_key
    assert len(first.secret_key) >= 32
    for name in ("secret_key", "census_key"):
        mode = stat.S_IMODE((tmp_path / "data" / name).stat().st_mode)
        assert mode == 0o600
    leftovers = [p.name for p in (tmp_path / "data").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_given_secrets_win_over_generated_ones(tmp_path: Path) -> None:
    settings = Settings.from_env(env_for(tmp_path, DELIBERATE_SECRET_KEY="x" * 32))
    assert settings.secret_key == "x" * 32
    assert not (tmp_path / "data" / "secret_key").exists()


def test_production_without_secrets_names_every_missing_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env_for(tmp_path, DELIBERATE_ENV="production"))
    for name in PRODUCTION_SECRETS:
        assert name in str(error.value)
    assert not (tmp_path / "data" / "secret_key").exists()


def test_production_with_secrets(tmp_path: Path) -> None:
    settings = Settings.from_env(
        env_for(
            tmp_path,
            **production_env(tmp_path),
            DELIBERATE_DATABASE_URL="postgresql://deliberate@db/deliberate",
        )
    )
    assert settings.production
    assert not settings.debug
    assert settings.database_url == "postgresql+asyncpg://deliberate@db/deliberate"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DELIBERATE_ENV", "staging", "DELIBERATE_ENV"),
        ("DELIBERATE_SECRET_KEY", "short", "at least 32"),
        ("DELIBERATE_DATABASE_URL", "mysql://x/y", "DELIBERATE_DATABASE_URL"),
        ("DELIBERATE_TIME_ZONE", "Mars/Olympus", "unknown time zone"),
        ("DELIBERATE_TRUSTED_PROXIES", "10.0.0.1, not-an-ip", "not-an-ip"),
        ("DELIBERATE_SIGNING_KEY", "/nonexistent/key.pem", "does not exist"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env_for(tmp_path, **{variable: value}))


def test_trusted_proxies_are_parsed(tmp_path: Path) -> None:
    settings = Settings.from_env(
        env_for(tmp_path, DELIBERATE_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1,::1")
    )
    assert settings.trusted_proxies == (
        ip_network("10.0.0.0/8"),
        ip_network("127.0.0.1/32"),
        ip_network("::1/128"),
    )


def test_development_signing_pair_is_generated_once_and_chains_to_its_ca(
    tmp_path: Path,
) -> None:
    from cryptography import x509

    first = Settings.from_env(env_for(tmp_path))
    second = Settings.from_env(env_for(tmp_path))
    assert (first.signing_key, first.signing_cert) == (second.signing_key, second.signing_cert)
    assert stat.S_IMODE(first.signing_key.stat().st_mode) == 0o600
    signer = x509.load_pem_x509_certificate(first.signing_cert.read_bytes())
    ca = x509.load_pem_x509_certificate((first.signing_cert.parent / "dev-ca.crt").read_bytes())
    signer.verify_directly_issued_by(ca)
    assert "not trusted" in signer.subject.rfc4514_string()
    key_usage = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert key_usage.digital_signature and key_usage.content_commitment


def test_signing_key_without_certificate_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("k")
    with pytest.raises(ConfigError, match="go together"):
        Settings.from_env(env_for(tmp_path, DELIBERATE_SIGNING_KEY=str(key)))
