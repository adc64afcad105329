"""Bare baseline: one Litestar handler returning fixed bytes, nothing else.

Served with ``uvicorn --factory bench.bare_app:create``; the bytes come from the file named
by ``BENCH_BODY_FILE``, read once when the app is created.
"""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar, Response, get


def create() -> Litestar:
    body = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()

    @get("/", sync_to_thread=False)
    def index() -> Response[bytes]:
        return Response(body, media_type="text/html")

    return Litestar(route_handlers=[index])
