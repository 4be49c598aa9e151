"""The dashboard's front door: allowed Host names, the token, and security headers.

Loopback is not a boundary against a browser: a page on another site can rebind its own name to
127.0.0.1 (DNS rebinding) and read the dashboard, sending its own name as the Host header. So
only the loopback names with the dashboard's port, and names given with `--allowed-host`, are
answered; redirects are relative, so they stay on the host the browser asked for.

Every response, errors included, carries a Content-Security-Policy with no source but the
dashboard itself and no framing, `nosniff` and `no-referrer`. A token in the URL (`?token=`) is
swapped at once for an HttpOnly, SameSite=Strict cookie and a redirect to the same page without
it, so it does not stay in the address bar, history or a Referer header.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "policeperf_token"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)

HOST_REFUSED = "this Host name is not served here (its owner can allow it with --allowed-host)"

ErrorPage = Callable[[Request, int, str], Response]


class Guard:
    """ASGI middleware in front of the whole app (static files and errors included).

    Args:
        app: the application.
        allowed_hosts: Host header values answered, lower case (see `allowed_host_names`).
        token: the token every request must carry, or None on a tokenless loopback dashboard.
        error: how an error is shown (a page, or JSON for the API).
    """

    def __init__(
        self, app: ASGIApp, *, allowed_hosts: frozenset[str], token: str | None, error: ErrorPage
    ) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.token = token
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        request = Request(scope)
        refused = self._refusal(request)
        if refused is not None:
            await refused(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, request: Request) -> Response | None:
        host = request.headers.get("host", "").strip().lower()
        if host not in self.allowed_hosts:
            # Plain JSON: the request is not for this dashboard, so no page of it is shown.
            return JSONResponse(
                {"error": {"status": 400, "message": HOST_REFUSED}}, status_code=400
            )
        if self.token is None:
            return None
        in_query = request.query_params.get("token")
        if in_query is not None:
            if not _same(in_query, self.token):
                return self.error(request, 401, "a valid token is required")
            return self._swap_for_cookie(request)
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        given = given or request.cookies.get(COOKIE, "")
        if not _same(given, self.token):
            return self.error(request, 401, "a valid token is required")
        return None

    def _swap_for_cookie(self, request: Request) -> Response:
        """303 to the same path and query without the token, setting the cookie."""
        query = urlencode([(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True)
                           if k != "token"])  # fmt: skip
        raw = request.scope.get("raw_path")
        path = raw.decode("latin-1") if raw else quote(request.scope["path"])
        path = "/" + path.lstrip("/\\")  # never "//host" or "/\\host": relative stays here
        response = RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)
        response.set_cookie(
            COOKIE,
            self.token or "",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response


def _same(given: str, token: str) -> bool:
    """Constant-time comparison; an empty value never matches."""
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())
