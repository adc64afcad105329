"""Where templates, static files and migrations live.

From a source checkout they are the top-level folders of the repository; an installed
wheel carries them inside the package under ``_resources``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    packaged = PACKAGE_DIR / "_resources" / name
    if packaged.is_dir():
        return packaged
    checkout = PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"cannot find the {name!r} folder of Deliberate")
