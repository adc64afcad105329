"""Settings, read once from ``DELIBERATE_*`` environment variables.

In development every secret the operator did not give is generated once into the data
directory (mode 0600) and reused on the next start. In production a missing secret is a
configuration error: the process refuses to start and names the variable.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from deliberate.devkeys import ensure_dev_signing_pair

ENVIRONMENTS = ("development", "production")
PRODUCTION_SECRETS = (
    "DELIBERATE_SECRET_KEY",
    "DELIBERATE_CENSUS_KEY",
    "DELIBERATE_SIGNING_KEY",
    "DELIBERATE_SIGNING_CERT",
)
MIN_SECRET_LENGTH = 32


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    database_url: str
    secret_key: str
    census_key: str
    signing_key: Path
    signing_cert: Path
    smtp_url: str | None
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...]
    time_zone: str = "Asia/Shanghai"
    public_url: str = "http://127.0.0.1:8000"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def debug(self) -> bool:
        """Tracebacks on error pages and demo data: development only."""
        return not self.production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env_vars = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env_vars.get(name, "").strip()
            return value or None

        env = get("DELIBERATE_ENV") or "development"
        if env not in ENVIRONMENTS:
            raise ConfigError(
                f"DELIBERATE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}"
            )
        production = env == "production"
        if production:
            missing = [name for name in PRODUCTION_SECRETS if not get(name)]
            if missing:
                raise ConfigError(
                    "production needs these settings, which are not set: "
                    + ", ".join(missing)
                    + " (see README, Configuration)"
                )

        data_dir = Path(get("DELIBERATE_DATA_DIR") or "var").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)

        secret_key = get("DELIBERATE_SECRET_KEY") or _dev_secret(data_dir, "secret_key")
        census_key = get("DELIBERATE_CENSUS_KEY") or _dev_secret(data_dir, "census_key")
        for name, value in (
            ("DELIBERATE_SECRET_KEY", secret_key),
            ("DELIBERATE_CENSUS_KEY", census_key),
        ):
            if len(value) < MIN_SECRET_LENGTH:
                raise ConfigError(f"{name} must be at least {MIN_SECRET_LENGTH} characters long")

        signing_key = _existing_file(get("DELIBERATE_SIGNING_KEY"), "DELIBERATE_SIGNING_KEY")
        signing_cert = _existing_file(get("DELIBERATE_SIGNING_CERT"), "DELIBERATE_SIGNING_CERT")
        if (signing_key is None) != (signing_cert is None):
            raise ConfigError(
                "DELIBERATE_SIGNING_KEY and DELIBERATE_SIGNING_CERT go together: set both"
            )
        if signing_key is None:
            signing_key, signing_cert = ensure_dev_signing_pair(data_dir)

        time_zone = get("DELIBERATE_TIME_ZONE") or "Asia/Shanghai"
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"DELIBERATE_TIME_ZONE: unknown time zone {time_zone!r}") from exc

        database_url = get("DELIBERATE_DATABASE_URL") or default_database_url(data_dir)
        return cls(
            env=env,
            data_dir=data_dir,
            database_url=normalise_database_url(database_url),
            secret_key=secret_key,
            census_key=census_key,
            signing_key=signing_key,
            signing_cert=signing_cert,
            smtp_url=get("DELIBERATE_SMTP_URL"),
            trusted_proxies=parse_trusted_proxies(get("DELIBERATE_TRUSTED_PROXIES")),
            time_zone=time_zone,
            public_url=(get("DELIBERATE_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
        )


def default_database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'deliberate.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Accept the URLs operators usually write and turn them into async ones (a plain
    PostgreSQL URL means asyncpg; ``postgresql+psycopg://`` is kept as it is)."""
    for plain, asynchronous in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            url = asynchronous + url[len(plain) :]
            break
    if not url.startswith(
        ("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql+psycopg://")
    ):
        raise ConfigError(
            "DELIBERATE_DATABASE_URL must be a SQLite (sqlite+aiosqlite://) or "
            "PostgreSQL (postgresql+asyncpg:// or postgresql+psycopg://) URL"
        )
    try:
        make_url(url)
    except (ArgumentError, ValueError) as exc:  # the URL is not shown: it may hold a password
        raise ConfigError(
            "DELIBERATE_DATABASE_URL cannot be read (is the port a number? are special "
            "characters in the user name or password %-encoded?)"
        ) from exc
    return url


def parse_trusted_proxies(value: str | None) -> tuple[IPv4Network | IPv6Network, ...]:
    if not value:
        return ()
    networks = []
    for item in value.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigError(
                f"DELIBERATE_TRUSTED_PROXIES: {item!r} is not an IP address or network"
            ) from exc
    return tuple(networks)


def _existing_file(value: str | None, name: str) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"{name} names a file that does not exist: {value}")
    return path


def _dev_secret(data_dir: Path, name: str) -> str:
    """A development secret, generated once into the data directory with mode 0600.

    Written to a private temporary file and linked into place, so that two workers
    starting at the same moment agree on one value and never read a half-written file.
    """
    path = data_dir / name
    if not path.exists():
        tmp = data_dir / f".{name}.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{path} holds a secret that is too short; delete it to make a new one")
    return value
