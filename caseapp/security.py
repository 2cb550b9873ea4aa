"""HTTP hardening of every response: Content-Security-Policy, no caching, HSTS and Secure cookies over HTTPS.

The policy allows scripts and styles from our own origin only: no inline <script>, no style="" attribute,
no on...="" handler. Behaviour lives in caseapp/static/*.js and takes its data from data- attributes;
tests/test_security_headers.py fails when a template brings inline code back.

A small after_request rather than Flask-Talisman: Talisman would be configured mostly to switch its own
defaults off (it forces HTTPS and sets Secure cookies for every request, which locks the login out of an
office network served over plain HTTP), whereas here Secure cookies and HSTS follow the request's scheme,
as seen through ProxyFix when a reverse proxy terminates TLS."""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # Bootstrap draws its icons (menu, select arrow, close) as data: SVG
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

#: static files hold nothing personal and may be cached; every other answer may
CACHEABLE_ENDPOINTS = {"static", "bootstrap.static"}


def init_app(app: Flask) -> None:
    app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Only the headers every reverse proxy sets; X-Forwarded-Host would let a client name the host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)
    app.after_request(harden_response)


def harden_response(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers that predate it
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        # Pages, downloads and the login form must not stay in a shared office browser's cache.
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    if request.is_secure and current_app.config["HSTS_MAX_AGE"]:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(current_app.config['HSTS_MAX_AGE'])}")
    return response


class SecureCookiesOverHttps:
    """WSGI middleware: over HTTPS every cookie the app sets is marked Secure.

    Middleware rather than an after_request because Flask writes the session cookie after the
    after_request functions have run; this way the session, Flask-Login's remember cookie and any cookie
    added later are all covered. Over plain HTTP cookies are left as configured (SESSION_COOKIE_SECURE
    still forces Secure everywhere)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_secure_response(status, headers, exc_info=None):
            headers = [
                (name, secure_cookie(value) if name.lower() == "set-cookie" else value) for name, value in headers
            ]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_secure_response)


def secure_cookie(set_cookie: str) -> str:
    attributes = {part.strip().split("=", 1)[0].lower() for part in set_cookie.split(";")[1:]}
    return set_cookie if "secure" in attributes else set_cookie + "; Secure"
