"""Bare baselines: Litestar handlers doing as little as possible.

Served with ``uvicorn --factory bench.bare_app:create``. ``GET /`` returns fixed bytes, from
the file named by ``BENCH_BODY_FILE``, read once when the app is created. With
``BENCH_INSERT_URL`` (a database URL) there is also ``POST /insert``: one ``INSERT`` of a
random 64-character value into :data:`INSERTS`, in a transaction of its own, through the
application's own engine set-up (:class:`deliberate.db.Database`: on SQLite the same
pragmas, WAL and ``BEGIN IMMEDIATE`` as the application); no session, no CSRF, no
template. The table is created by the benchmark (:func:`create_table`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from litestar import Litestar, Response, get, post
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

INSERTS = Table(
    "bench_insert",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("value", String(64), nullable=False),
)


async def create_table(url: str) -> None:
    """Create (or empty) :data:`INSERTS` in the database at ``url``."""
    from deliberate.db import Database

    database = Database(url)
    try:
        async with database.writer.begin() as connection:
            await connection.run_sync(INSERTS.metadata.drop_all)
            await connection.run_sync(INSERTS.metadata.create_all)
    finally:
        await database.dispose()


def create() -> Litestar:
    handlers: list[Any] = []
    on_shutdown: list[Any] = []
    if "BENCH_BODY_FILE" in os.environ:
        body = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()

        @get("/", sync_to_thread=False)
        def index() -> Response[bytes]:
            return Response(body, media_type="text/html")

        handlers.append(index)
    if "BENCH_INSERT_URL" in os.environ:
        from deliberate.db import Database

        database = Database(os.environ["BENCH_INSERT_URL"])
        engine = database.writer

        @post("/insert", status_code=200)
        async def insert_one() -> Response[bytes]:
            async with engine.begin() as connection:
                await connection.execute(insert(INSERTS).values(value=secrets.token_hex(32)))
            return Response(b"ok", media_type="text/plain")

        @get("/ready", sync_to_thread=False)
        def ready() -> Response[bytes]:
            return Response(b"ok", media_type="text/plain")

        handlers += [insert_one, ready]
        on_shutdown.append(database.dispose)

    return Litestar(route_handlers=handlers, on_shutdown=on_shutdown)
