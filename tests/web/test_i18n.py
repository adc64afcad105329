from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from deliberate.web import i18n


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("zh-CN", "zh_CN"),
        ("zh-cn", "zh_CN"),
        ("zh_CN", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh-Hans", "zh_CN"),
        ("zh-Hans-CN", "zh_CN"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("zh-TW", None),
        ("zh-Hant", None),
        ("fr", None),
        ("", None),
        (None, None),
        ("<script>", None),
        ("en" + "x" * 100, None),
    ],
)
def test_normalise_tag(tag: str | None, locale: str | None) -> None:
    assert i18n.normalise_tag(tag) == locale


def test_parse_accept_language_orders_by_quality() -> None:
    header = "fr;q=0.9, en-GB;q=0.8, de;q=0, zh-CN"
    assert i18n.parse_accept_language(header) == ["zh-CN", "fr", "en-GB"]
    assert i18n.parse_accept_language("en;q=abc, zh") == ["zh"]
    assert i18n.parse_accept_language(None) == []


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, i18n.LocaleChoice("zh_CN", remember=False)),
        (None, None, "en-US,en;q=0.9", i18n.LocaleChoice("en", remember=False)),
        (None, None, "fr, en;q=0.5", i18n.LocaleChoice("en", remember=False)),
        (None, None, "fr, de", i18n.LocaleChoice("zh_CN", remember=False)),
        (None, "en", "zh-CN", i18n.LocaleChoice("en", remember=False)),
        (None, "bogus", "en", i18n.LocaleChoice("en", remember=False)),
        ("zh-CN", "en", "en", i18n.LocaleChoice("zh_CN", remember=True)),
        ("en", None, None, i18n.LocaleChoice("en", remember=True)),
        ("fr", "en", None, i18n.LocaleChoice("en", remember=False, rejected="fr")),
    ],
)
def test_choose_locale_order(query, cookie, accept, expected) -> None:
    assert i18n.choose_locale(query, cookie, accept) == expected


def test_gettext_follows_the_current_locale() -> None:
    with i18n.using_locale("zh_CN"):
        assert i18n.gettext("Home") == "首页"
        assert i18n.gettext("Error %(status)s", status=404) == "错误代码 404"
    with i18n.using_locale("en"):
        assert i18n.gettext("Home") == "Home"
    lazy = i18n.lazy_gettext("Page not found")
    with i18n.using_locale("zh_CN"):
        assert str(lazy) == "找不到该页面"
    with i18n.using_locale("en"):
        assert str(lazy) == "Page not found"


def test_dates_and_numbers_use_locale_and_deployment_time_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    moment = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Shanghai
    with i18n.using_locale("zh_CN"):
        assert i18n.format_date(moment, shanghai) == "2026年3月2日"
        assert "00:30" in i18n.format_datetime(moment, shanghai)
        assert i18n.format_number(1234567) == "1,234,567"
    with i18n.using_locale("en"):
        assert i18n.format_date(moment, shanghai) == "March 2, 2026"
        assert i18n.format_date(date(2026, 3, 1), shanghai, "short") == "3/1/26"
        assert "12:30" in i18n.format_datetime(moment, shanghai)
