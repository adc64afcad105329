"""The `deliberate` command, run as a real process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import production_env

COMMANDS = ("run", "migrate", "demo", "users", "areas", "census", "letters", "retention", "audit")


def deliberate(*args: str, env: dict[str, str], timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "deliberate", *args],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def dev_env(tmp_path: Path) -> dict[str, str]:
    return {"DELIBERATE_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command: str, dev_env: dict[str, str]) -> None:
    result = deliberate(command, "--help", env=dev_env)
    assert result.returncode == 0
    assert "usage: deliberate" in result.stdout


def test_migrate_then_demo_loads_only_into_an_empty_database(
    dev_env: dict[str, str], tmp_path: Path
) -> None:
    migrated = deliberate("migrate", env=dev_env)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "data" / "deliberate.sqlite3").exists()

    first = deliberate("demo", "--if-empty", env=dev_env)
    assert first.returncode == 0, first.stderr
    assert "demo data loaded" in first.stdout
    assert "幸福社区" in first.stdout

    second = deliberate("demo", "--if-empty", env=dev_env)
    assert second.returncode == 0
    assert "nothing loaded" in second.stdout


def test_production_run_without_secrets_exits_with_the_reason(tmp_path: Path) -> None:
    result = deliberate(
        "run", env={"DELIBERATE_ENV": "production", "DELIBERATE_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DELIBERATE_SECRET_KEY" in lines[0]
    assert "DELIBERATE_SIGNING_CERT" in lines[0]
    assert not (tmp_path / "deliberate.sqlite3").exists()


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    env = {"DELIBERATE_DATA_DIR": str(tmp_path / "data"), **production_env(tmp_path)}
    result = deliberate("demo", env=env)
    assert result.returncode == 1
    assert "development only" in result.stderr


def test_migrate_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    from tests.support.postgres import free_port

    env = {
        "DELIBERATE_DATA_DIR": str(tmp_path),
        "DELIBERATE_DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/x",
    }
    result = deliberate("migrate", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("deliberate migrate: migration failed")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_command_fails(dev_env: dict[str, str]) -> None:
    assert deliberate("frobnicate", env=dev_env).returncode != 0


def users_create(args: list[str], stdin: str, env: dict[str, str]):
    return subprocess.run(
        [sys.executable, "-m", "deliberate", "users", "create", *args],
        env={"PATH": os.environ["PATH"], **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_users_create_reads_the_password_from_stdin(dev_env: dict[str, str]) -> None:
    assert deliberate("migrate", env=dev_env).returncode == 0
    admin = ["--email", "Root@Example.org", "--role", "admin"]
    created = users_create(admin, "a long admin passphrase\n", dev_env)
    assert created.returncode == 0, created.stderr
    assert "created admin root@example.org" in created.stdout
    again = users_create(admin, "a long admin passphrase\n", dev_env)
    assert again.returncode == 1
    assert again.stderr.strip() == "deliberate users: root@example.org is already registered"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--email", "x@example.org", "--role", "admin"], "woaini1314\n", "password refused"),
        (["--email", "x@example.org", "--role", "officer"], "a long passphrase\n", "--area"),
        (
            ["--email", "x@example.org", "--role", "officer", "--area", "nope"],
            "a long passphrase\n",
            "no area",
        ),
        (["--email", "not an address", "--role", "resident"], "a long passphrase\n", "not an"),
        (["--email", "x@example.org", "--role", "resident"], "", "no password"),
    ],
)
def test_users_create_refuses_with_one_line(dev_env, args, stdin, message) -> None:
    assert deliberate("migrate", env=dev_env).returncode == 0
    result = users_create(args, stdin, dev_env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_retention_purge_reports_counts(dev_env: dict[str, str]) -> None:
    assert deliberate("migrate", env=dev_env).returncode == 0
    dry = deliberate("retention", "purge", "--dry-run", env=dev_env)
    assert dry.returncode == 0 and dry.stdout.startswith("would remove: 0 letter codes")
    real = deliberate("retention", "purge", env=dev_env)
    assert real.returncode == 0 and real.stdout.startswith("removed: 0 letter codes")
