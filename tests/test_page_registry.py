from litestar import Litestar

from tests.pages import NOT_PAGE_PREFIXES, NOT_PAGES, PAGES


def test_every_html_route_is_in_the_page_registry(app: Litestar) -> None:
    routes = {
        route.path
        for route in app.routes
        if "GET" in getattr(route, "methods", ())
        and route.path not in NOT_PAGES
        and not route.path.startswith(NOT_PAGE_PREFIXES)
    }
    registered = {page.route for page in PAGES}
    assert routes - registered == set(), "add these pages to tests/pages.py"
    assert {page.name for page in PAGES} >= {"home", "not-found"}
