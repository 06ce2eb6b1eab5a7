"""What every page shares: the template environment, safe data embedding, assets and the CSP.

Pages are rendered from ChainScout's own Jinja2 templates in ``viz/templates/`` with autoescape
on, so every name from data is escaped in markup. Data for the page's script travels as JSON in a
``<script type="application/json">`` element, with ``<``, ``>``, ``&`` and the two JavaScript line
separators written as ``\\uXXXX`` escapes: a firm named ``</script><script>alert(1)</script>``
cannot close the element. Page scripts only ever put data into the page through ``textContent``.

Each page also carries a Content-Security-Policy that allows only its own scripts (by SHA-256
hash, so no inline event handler can run even if markup were injected), connects nowhere and
loads images only from ``data:`` URLs: the page cannot reach an outside server.

Assets come in two modes (:class:`AssetMode`): ``inline`` puts vis-network's script and styles
into the file (standalone exports that open from disk), ``served`` links them from the API's own
``/assets/`` route.

    >>> str(script_json({"name": "</script><b>"}))
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .assets import VIS_VERSION, AssetName, vis_asset
from .labels import LABELS, Lang, html_lang, label

__all__ = ["AssetMode", "asset_path", "render_page", "script_json"]

_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(value: Any) -> Markup:
    """``value`` as JSON that is safe inside a ``<script>`` element (see the module docstring).

    NaN and infinities are refused (``ValueError``): JSON has no such numbers, and a page that
    silently showed them would mislead.
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
    return Markup(text.translate(_JSON_ESCAPES))  # escaped just above


@dataclass(frozen=True)
class AssetMode:
    """Where the page gets vis-network from: inline (``base`` None) or from ``base`` + name."""

    base: str | None = None

    @classmethod
    def inline(cls) -> AssetMode:
        return cls(None)

    @classmethod
    def served(cls, base: str = "/assets") -> AssetMode:
        return cls(base.rstrip("/"))


def asset_path(name: AssetName) -> str:
    """The file name the API serves an asset under: versioned, so browsers may cache it."""
    stem, _, ext = name.partition(".")
    return f"{stem}-{VIS_VERSION}.{ext}"


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("chainscout.viz", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["script_json"] = script_json
    env.globals["L"] = _both
    return env


def _both(key: str) -> Markup:
    """A label in both languages; the page's stylesheet shows the one of ``<html lang>``."""
    en, zh = LABELS[key]
    return Markup('<span data-l="en">{}</span><span data-l="zh">{}</span>').format(en, zh)


@cache
def _script(name: str) -> str:
    """One of ChainScout's own page scripts (``viz/templates/*.js``), as text."""
    return resources.files("chainscout.viz").joinpath("templates", name).read_text("utf-8")


def _sha256(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def render_page(
    template: str,
    *,
    title: str,
    lang: Lang,
    data: dict[str, Any],
    scripts: tuple[str, ...],
    assets: AssetMode,
    vis: bool = True,
    **context: Any,
) -> str:
    """Render ``template`` with ``data`` for its scripts; returns the whole HTML document.

    ``scripts`` are ChainScout's own script files, run in order after vis-network (when
    ``vis``). ``data`` also receives the labels, so scripts can switch language.
    """
    own = [_script("common.js"), *(_script(s) for s in scripts)]
    inline_js: list[str] = []
    inline_css: list[str] = []
    links: dict[str, str] = {}
    if vis:
        if assets.base is None:
            inline_js.append(vis_asset("vis-network.min.js").text)
            inline_css.append(vis_asset("vis-network.css").text)
        else:
            for name in ("vis-network.min.js", "vis-network.css"):
                links[name] = f"{assets.base}/{asset_path(name)}"
    inline_js.extend(own)
    hashes = " ".join(_sha256(s) for s in inline_js)
    csp = (
        "default-src 'none'; "
        f"script-src {hashes}{' ' + chr(39) + 'self' + chr(39) if links else ''}; "
        "style-src 'self' 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-src 'none'; object-src 'none'"
    )
    labels = {k: {"en": v[0], "zh": v[1]} for k, v in LABELS.items()}
    payload = {**data, "labels": labels, "lang": lang}
    return (
        _env()
        .get_template(template)
        .render(
            title=title,
            lang=lang,
            html_lang=html_lang(lang),
            label=lambda key: label(key, lang),
            csp=csp,
            data=payload,
            inline_js=[Markup(s) for s in inline_js],  # our files, the vis asset
            inline_css=[Markup(s) for s in inline_css],
            links=links,
            **context,
        )
    )
