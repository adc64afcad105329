"""The Jinja environment's set-up: templates are re-read from disk only in development,
and Babel's locale objects are made once per language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from deliberate.config import Settings
from deliberate.web import i18n
from deliberate.web.templating import build_environment
from tests.conftest import production_env


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(
        {
            "DELIBERATE_DATA_DIR": str(tmp_path / "data"),
            "DELIBERATE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}",
            **env,
        }
    )


def test_templates_are_checked_for_changes_in_development_only(tmp_path: Path) -> None:
    assert build_environment(_settings(tmp_path)).auto_reload is True
    production = _settings(tmp_path, **production_env(tmp_path))
    assert production.production
    assert build_environment(production).auto_reload is False


def test_babel_locale_objects_are_made_once_and_format_in_their_language() -> None:
    assert i18n.babel_locale("en") is i18n.babel_locale("en")
    assert i18n.babel_locale("zh_CN") is not i18n.babel_locale("en")
    moment = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
    shanghai = ZoneInfo("Asia/Shanghai")
    with i18n.using_locale("en"):
        assert i18n.current_babel_locale() is i18n.babel_locale("en")
        english = i18n.format_datetime(moment, shanghai, "long")
    with i18n.using_locale("zh_CN"):
        chinese = i18n.format_datetime(moment, shanghai, "long")
    assert "December 8, 2026" in english
    assert "2026年12月8日" in chinese
