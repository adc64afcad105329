"""Alembic, driven from code: ``deliberate migrate`` and the test suite use this."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from alembic import command
from alembic.config import Config

from deliberate.db import use_wal
from deliberate.resources import resource_dir


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations. Alembic's environment runs its own event loop, so when one is
    already running in this thread the work moves to a thread of its own."""
    config = alembic_config(database_url)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(config, revision)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(command.upgrade, config, revision).result()
    use_wal(database_url)
