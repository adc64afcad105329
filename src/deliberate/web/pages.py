"""Rendering a page: one place that knows the layout's needs."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import Cookie
from litestar.response import Template


def page(
    template_name: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    return Template(
        template_name=template_name,
        context=context,
        status_code=status_code,
        headers=headers,
        cookies=cookies,
        media_type="text/html",
    )
