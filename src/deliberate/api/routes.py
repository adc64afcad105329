from __future__ import annotations

from typing import Any

from litestar import Request, get

# Litestar's own OpenAPI router lives at /_openapi (it answers unknown paths below it with
# a bare HTML page); the contract's address for the description is this one.
OPENAPI_ROUTER_PATH = "/_openapi"


@get("/api/v1/openapi.json", include_in_schema=False, media_type="application/json")
async def openapi_description(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI description of the open data API."""
    return request.app.openapi_schema.to_schema()
