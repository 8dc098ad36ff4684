"""Security headers of the service's answers: the Content-Security-Policy of its pages (inline scripts and
styles allowed by hash, nothing else inline) and the headers every response carries."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from importlib import resources

#: Where Swagger UI's script, style sheet and icon are served, from a Python package (never a CDN).
DOCS_ASSETS = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script(?P<attributes>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
_INLINE_STYLE = re.compile(r"<style[^>]*>(?P<body>.*?)</style>", re.S | re.I)
_STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)')""", re.I)


def docs_assets_folder() -> str:
    """The folder of Swagger UI's files in the `fastapi-offline` package."""
    return str(resources.files("fastapi_offline") / "static")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(page: str = "", *, images: str = "'self'") -> str:
    """A policy of `default-src 'self'` with no framing, no plugins and no foreign base or form targets.

    For an HTML `page`, its inline scripts, style sheets and style attributes are allowed by their SHA-256
    hashes (style attributes through `'unsafe-hashes'`), so nothing else inline runs; `images` lists where
    images may come from.
    """
    scripts = [_sha256(m["body"]) for m in _INLINE_SCRIPT.finditer(page) if "src" not in m["attributes"].lower()]
    styles = [_sha256(m["body"]) for m in _INLINE_STYLE.finditer(page)]
    attributes = [
        _sha256(html.unescape(m["double"] if m["double"] is not None else m["single"]))
        for m in _STYLE_ATTRIBUTE.finditer(page)
    ]
    directives = ["default-src 'self'"]
    if scripts:
        directives.append(" ".join(["script-src 'self'", *dict.fromkeys(scripts)]))
    if styles or attributes:
        unsafe_hashes = ["'unsafe-hashes'", *attributes] if attributes else []
        directives.append(" ".join(["style-src 'self'", *dict.fromkeys([*styles, *unsafe_hashes])]))
    if images != "'self'":
        directives.append(f"img-src {images}")
    directives += ["base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'"]
    return "; ".join(directives)


#: The policy of every response that does not bring its own (the HTML pages bring theirs, with hashes).
DEFAULT_CSP = content_security_policy()
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
