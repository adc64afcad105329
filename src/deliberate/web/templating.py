"""The Jinja environment: autoescaping, gettext, Babel filters, static URLs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.utils.scope.state import ScopeState

from deliberate.config import Settings
from deliberate.resources import resource_dir
from deliberate.web import i18n, markdown

STATIC_PREFIX = "/static"


def static_fingerprints(directory: Path) -> dict[str, str]:
    """A short content hash per static file, for cache-busting query strings."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def translated_environment(*, auto_reload: bool = True) -> Environment:
    """Our templates, autoescaped, with gettext bound to the current locale. Without
    ``auto_reload`` a template is read once (production: no file check per render)."""
    env = Environment(
        auto_reload=auto_reload,
        loader=FileSystemLoader(resource_dir("templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.filters["markdown"] = markdown.render  # sanitised: see web/markdown.py
    return env


def build_environment(settings: Settings) -> Environment:
    env = translated_environment(auto_reload=settings.debug)
    fingerprints = static_fingerprints(resource_dir("static"))

    def static_url(path: str) -> str:
        version = fingerprints.get(path)
        if version is None:
            raise LookupError(f"no static file {path!r}")
        return f"{STATIC_PREFIX}/{path}?v={version}"

    @pass_context
    def csrf_token(context: Any) -> str:
        request = context.get("request")
        if request is None:
            return ""
        return ScopeState.from_scope(request.scope).csrf_token or ""

    @pass_context
    def url_with_lang(context: Any, lang: str) -> str:
        """The current page in another language (``?lang=`` kept with other parameters)."""
        request = context.get("request")
        if request is None:
            return "/?" + urlencode({"lang": lang})
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        params.append(("lang", lang))
        return request.url.path + "?" + urlencode(params)

    @pass_context
    def current_auth(context: Any) -> Any:
        request = context.get("request")
        return request.scope.get("state", {}).get("auth") if request is not None else None

    tz = settings.tz
    env.globals.update(
        static_url=static_url,
        csrf_token=csrf_token,
        current_auth=current_auth,
        url_with_lang=url_with_lang,
        current_locale=i18n.current_locale,
        html_lang=i18n.html_lang,
        LOCALES=i18n.LOCALES,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        debug=settings.debug,
    )
    env.filters.update(
        datetime=lambda value, fmt="medium": i18n.format_datetime(value, tz, fmt),
        date=lambda value, fmt="long": i18n.format_date(value, tz, fmt),
        number=i18n.format_number,
    )
    return env


def template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    environment = build_environment(settings)
    return TemplateConfig(
        engine=JinjaTemplateEngine.from_environment(environment),
    )


def pdf_environment() -> Environment:
    """Templates for printed documents (no request): translated in the current locale."""
    return translated_environment()
