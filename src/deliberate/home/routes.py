from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Template

from deliberate.db import Database
from deliberate.identity import queries as area_queries
from deliberate.web.pages import page


class HomeController(Controller):
    include_in_schema = False

    @get("/", name="home")
    async def home(self, database: NamedDependency[Database]) -> Template:
        async with database.read() as session:
            areas = await area_queries.area_tree(session)
        return page("home/index.html", areas=areas)
