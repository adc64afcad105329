from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency

from deliberate.db import Database, DatabaseUnavailable


@get("/healthz", include_in_schema=False)
async def healthz(database: NamedDependency[Database]) -> Response[dict[str, str]]:
    """Liveness and database reachability, for load balancers and operators."""
    try:
        await database.ping()
    except DatabaseUnavailable as exc:
        return Response(
            {"status": "unavailable", "database": "unreachable", "reason": str(exc)},
            status_code=503,
        )
    return Response({"status": "ok", "database": "ok"})
