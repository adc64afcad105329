"""The pages of the foundation, through HTTP, on both databases."""

import hashlib

from litestar import Litestar
from litestar.testing import AsyncTestClient

from deliberate.db import Database
from deliberate.demo import DEMO_AREAS, load_demo
from deliberate.web.i18n import LANG_COOKIE
from tests.support.html import read_page

Client = AsyncTestClient[Litestar]


async def test_home_is_chinese_by_default(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = read_page(response.text)
    assert page.lang == "zh-CN"
    assert page.title == "首页 · 协商议事"
    assert page.h1 == ["社区的事，大家商量着办"]
    assert page.mains == 1
    assert "尚未设置服务区域" in page.text
    assert "/?lang=en" in page.links


async def test_lang_parameter_switches_and_is_remembered(client: Client) -> None:
    response = await client.get("/?lang=en")
    page = read_page(response.text)
    assert page.lang == "en"
    assert page.h1 == ["Have your say on the decisions of your community"]
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if c.startswith(LANG_COOKIE)]
    assert cookie.startswith(f"{LANG_COOKIE}=en;")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=lax"):
        assert attribute in cookie

    remembered = read_page((await client.get("/")).text)
    assert remembered.lang == "en"

    back = await client.get("/?lang=zh-CN")
    assert read_page(back.text).lang == "zh-CN"
    assert read_page((await client.get("/")).text).lang == "zh-CN"


async def test_accept_language_is_used_without_a_choice(client: Client) -> None:
    response = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert read_page(response.text).lang == "en"
    assert not any(c.startswith(LANG_COOKIE) for c in response.headers.get_list("set-cookie"))
    response = await client.get("/", headers={"Accept-Language": "fr,de;q=0.8"})
    assert read_page(response.text).lang == "zh-CN"


async def test_unknown_language_gets_an_error_page_with_the_choices(client: Client) -> None:
    response = await client.get("/?lang=fr")
    assert response.status_code == 400
    page = read_page(response.text)
    assert page.lang == "zh-CN"
    assert page.h1 == ["无法理解该请求"]
    assert "不支持语言“fr”" in page.text
    assert "/?lang=zh-CN" in page.links and "/?lang=en" in page.links

    hostile = await client.get("/", params={"lang": "<script>alert(1)</script>"})
    assert hostile.status_code == 400
    assert "<script>alert(1)</script>" not in hostile.text
    assert "&lt;script&gt;" in hostile.text


async def test_home_lists_the_area_tree_in_the_chosen_language(
    client: Client, database: Database
) -> None:
    await load_demo(database)
    zh = read_page((await client.get("/?lang=zh-CN")).text)
    en = read_page((await client.get("/?lang=en")).text)
    for _code, name, name_en, _kind, _parent in DEMO_AREAS:
        assert name in zh.text
        assert name_en in en.text


async def test_404_is_a_page_in_the_users_language(client: Client) -> None:
    response = await client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    page = read_page(response.text)
    assert page.lang == "en"
    assert page.h1 == ["Page not found"]
    assert page.title == "Page not found · Deliberate"
    zh = read_page((await client.get("/no/such/page")).text)
    assert zh.h1 == ["找不到该页面"]


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_static_files_are_cached_long_and_busted_by_content(client: Client) -> None:
    home = read_page((await client.get("/")).text)
    css = await client.get("/static/css/site.css")
    assert css.status_code == 200
    assert "max-age=31536000" in css.headers["cache-control"]
    assert "immutable" in css.headers["cache-control"]
    version = hashlib.sha256(css.content).hexdigest()[:12]
    markup = (await client.get("/")).text
    assert f"/static/css/site.css?v={version}" in markup
    assert home.lang == "zh-CN"
    htmx = await client.get("/static/vendor/htmx/htmx-2.0.11.min.js")
    assert htmx.status_code == 200
    assert htmx.headers["content-type"].startswith(("text/javascript", "application/javascript"))


async def test_openapi_description_is_served(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Deliberate open data"
