"""The security baseline: headers everywhere, CSRF on every POST, no tracebacks, no 500
for bad input."""

from pathlib import Path
from typing import Annotated

import pytest
from litestar import Litestar, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import TooManyRequestsException
from litestar.params import Body
from litestar.testing import AsyncTestClient

from deliberate.app import CSRF_COOKIE, MAX_BODY_BYTES, create_app
from deliberate.web.security import CONTENT_SECURITY_POLICY, HSTS
from tests.conftest import BASE_URL, make_settings, production_env
from tests.support.html import read_page

Client = AsyncTestClient[Litestar]


@get("/test-only/boom", include_in_schema=False)
async def boom() -> str:
    raise RuntimeError("secret internals: password=hunter2")


@get("/api/v1/test-only/boom", include_in_schema=False)
async def api_boom() -> str:
    raise RuntimeError("secret internals")


@post("/test-only/echo", include_in_schema=False)
async def echo(
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> str:
    return "accepted " + data.get("name", "")


@get("/test-only/throttled", include_in_schema=False)
async def throttled() -> str:
    raise TooManyRequestsException(headers={"Retry-After": "42", "RateLimit-Limit": "5"})


def with_probes(app: Litestar) -> Litestar:
    for handler in (boom, api_boom, echo, throttled):
        app.register(handler)
    return app


def assert_security_headers(headers, *, production: bool = False) -> None:
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        assert directive in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "unsafe-eval" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    if production:
        assert headers["strict-transport-security"] == HSTS
    else:
        assert "strict-transport-security" not in headers


@pytest.fixture
async def probed(app: Litestar):
    async with AsyncTestClient(app=with_probes(app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def production(tmp_path: Path, database_url: str):
    settings = make_settings(tmp_path / "prod", database_url, **production_env(tmp_path))
    app = with_probes(create_app(settings))
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/no-such-page", 404),
        ("/test-only/boom", 500),
        ("/static/css/site.css", 200),
        ("/healthz", 200),
        ("/?lang=xx", 400),
    ],
)
async def test_headers_on_every_kind_of_response(probed: Client, path: str, status: int) -> None:
    response = await probed.get(path)
    assert response.status_code == status
    assert_security_headers(response.headers)
    if not path.startswith("/static/"):
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/test-only/boom", "/static/js/app.js"])
async def test_hsts_in_production(production: Client, path: str) -> None:
    response = await production.get(path)
    assert_security_headers(response.headers, production=True)


async def test_forced_exception_shows_no_traceback_in_production(production: Client) -> None:
    response = await production.get("/test-only/boom")
    assert response.status_code == 500
    page = read_page(response.text)
    assert page.h1 == ["系统出现了问题"]
    assert "Traceback" not in response.text
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text


async def test_forced_exception_shows_traceback_in_development(probed: Client) -> None:
    response = await probed.get("/test-only/boom?lang=en")
    assert response.status_code == 500
    assert read_page(response.text).h1 == ["Something went wrong on our side"]
    assert "RuntimeError" in response.text


async def test_api_errors_are_problem_details(production: Client) -> None:
    response = await production.get("/api/v1/test-only/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 500
    assert problem["title"] == "Something went wrong on our side"
    assert "secret" not in response.text
    missing = await production.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["status"] == 404


async def test_post_without_csrf_token_is_refused(probed: Client) -> None:
    response = await probed.post("/test-only/echo", data={"name": "x"})
    assert response.status_code == 403
    assert read_page(response.text).h1 == ["您无权进行此操作"]
    assert_security_headers(response.headers)


async def test_post_with_a_wrong_token_is_refused(probed: Client) -> None:
    await probed.get("/")
    response = await probed.post("/test-only/echo", data={"name": "x", "_csrf_token": "0" * 128})
    assert response.status_code == 403


async def test_post_with_the_form_token_or_the_htmx_header_passes(probed: Client) -> None:
    home = await probed.get("/")
    assert probed.cookies.get(CSRF_COOKIE)
    token = home.text.split('name="csrf-token" content="')[1].split('"')[0]
    form = await probed.post("/test-only/echo", data={"name": "form", "_csrf_token": token})
    assert form.status_code == 201
    assert form.text == "accepted form"
    header = await probed.post(
        "/test-only/echo",
        data={"name": "htmx"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert header.status_code == 201


async def test_csrf_cookie_is_host_prefixed_secure_and_httponly(probed: Client) -> None:
    response = await probed.get("/")
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if c.startswith(CSRF_COOKIE)]
    assert cookie.startswith("__Host-")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=lax"):
        assert attribute in cookie
    assert "Domain=" not in cookie


async def test_oversized_body_gets_a_413_page(probed: Client) -> None:
    await probed.get("/")
    body = b"name=" + b"x" * (MAX_BODY_BYTES + 1)
    response = await probed.post(
        "/test-only/echo",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"},
    )
    assert response.status_code == 413
    assert read_page(response.text).h1 == ["What you sent is too large"]


@pytest.mark.parametrize(
    "path",
    [
        "/%ff%fe",
        "/%00",
        "/static/..%2f..%2fetc/passwd",
        "/static/../../pyproject.toml",
        "/" + "a" * 5000,
        "/?lang=%ff",
        "/?lang=" + "z" * 5000,
        "/static/does-not-exist.css",
        "//evil.example/",
    ],
)
async def test_malformed_urls_get_an_error_page_not_a_500(probed: Client, path: str) -> None:
    response = await probed.get(path)
    assert 400 <= response.status_code < 500 or response.status_code == 200
    assert "root:" not in response.text
    if response.status_code != 200:
        assert read_page(response.text).h1


async def test_wrong_method_is_a_page(probed: Client) -> None:
    await probed.get("/")
    response = await probed.delete("/")
    assert response.status_code in (403, 405)
    assert read_page(response.text).h1


async def test_malformed_cookie_header_does_not_break_the_page(probed: Client) -> None:
    response = await probed.get("/", headers={"Cookie": '__Host-lang="; ;;=;\\x00'})
    assert response.status_code == 200


async def test_429_is_a_page_that_says_when_to_retry(probed: Client) -> None:
    response = await probed.get("/test-only/throttled")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    assert response.headers["ratelimit-limit"] == "5"
    page = read_page(response.text)
    assert page.h1 == ["请求过于频繁"]
    assert "42 秒后重试" in page.text
    assert_security_headers(response.headers)
