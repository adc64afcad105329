"""Entry point for ASGI servers: ``uvicorn --factory deliberate.asgi:create``."""

from litestar import Litestar

from deliberate.app import create_app
from deliberate.config import Settings


def create() -> Litestar:
    return create_app(Settings.from_env())
