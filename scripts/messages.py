"""`make messages`: extract, update and compile the catalogues.

English is the source language, so an empty English entry takes its msgid; Chinese entries
must be written by a person (the test suite fails while one is missing or fuzzy).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "src" / "deliberate" / "locale"
POT = LOCALE_DIR / "messages.pot"
LOCALES = ("zh_CN", "en")
KEYWORDS = ("_l", "lazy_gettext", "gettext", "ngettext:1,2", "pgettext:1c,2")


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract() -> None:
    keywords = [arg for kw in KEYWORDS for arg in ("-k", kw)]
    pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        *keywords,
        "--no-location",
        "--sort-output",
        "--project=Deliberate",
        "-o",
        str(POT),
        str(ROOT),
    )


def update() -> None:
    for locale in LOCALES:
        po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel(
                "update",
                "-i",
                str(POT),
                "-d",
                str(LOCALE_DIR),
                "-l",
                locale,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            pybabel("init", "-i", str(POT), "-d", str(LOCALE_DIR), "-l", locale)


def fill_english() -> None:
    po = LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not any(message.string):
                message.string = message.id
        elif not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with po.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, width=100)


def compile_all() -> None:
    pybabel("compile", "-d", str(LOCALE_DIR), "--statistics")


def main() -> int:
    extract()
    update()
    fill_english()
    compile_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
