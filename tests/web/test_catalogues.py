"""Every visible string is extracted, and translated in zh_CN and en."""

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from deliberate.web.i18n import LOCALE_DIR, LOCALES

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "_l": None,
    "lazy_gettext": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}


def catalog(locale: str):
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def source_messages() -> set[str | tuple[str, ...]]:
    found: set = set()
    method_map = [("src/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS
    ):
        found.add(message)
    assert "Skip to main content" in found  # the extractor really reads the templates
    return found


@pytest.mark.parametrize("locale", list(LOCALES))
def test_catalogue_is_complete(locale: str) -> None:
    messages = catalog(locale)
    missing = [
        m.id
        for m in messages
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in messages if m.id and m.fuzzy]
    assert missing == [], f"{locale}: untranslated {missing}"
    assert fuzzy == [], f"{locale}: fuzzy {fuzzy}"


@pytest.mark.parametrize("locale", list(LOCALES))
def test_every_source_string_is_in_the_catalogue(locale: str) -> None:
    known = {m.id for m in catalog(locale) if m.id}
    unknown = source_messages() - known
    assert unknown == set(), f"run `make messages`; not in {locale}: {sorted(map(str, unknown))}"


@pytest.mark.parametrize("locale", list(LOCALES))
def test_compiled_catalogue_matches_the_po_file(locale: str) -> None:
    mo_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo"
    compiled = read_mo(io.BytesIO(mo_path.read_bytes()))

    def entries(messages) -> dict:
        def frozen(value):
            return tuple(value) if isinstance(value, list | tuple) else value

        return {frozen(m.id): frozen(m.string) for m in messages if m.id}

    po = entries(catalog(locale))
    mo = entries(compiled)
    assert mo == po, f"run `make messages` to recompile {locale}"


def test_chinese_catalogue_is_chinese() -> None:
    for message in catalog("zh_CN"):
        if message.id and isinstance(message.string, str):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in message.string), message.id
