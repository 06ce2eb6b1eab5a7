"""Two plain ASGI middlewares that run before FastAPI's routing, for every request.

- :class:`BodyLimit` refuses a request body over ``api_max_body_bytes``: at once when the
  ``Content-Length`` says so, and while it streams when the client sends it in chunks, so an
  upload never fills memory past the limit.
- :class:`CachedPages` answers a ``GET`` that exactly repeats one whose response a route kept
  (:meth:`AppState.keep_page`) with the same bytes, after the same key check as the route,
  without parsing parameters or resolving dependencies again. Caching is what makes a target
  list cheap to serve many times; this layer keeps the framework's per-request cost off it too.

Both are plain ASGI (not ``BaseHTTPMiddleware``), which adds no task or stream per request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .deps import allows
from .errors import BodyTooLarge, TooLargeError, problem
from .state import AppState

__all__ = ["BodyLimit", "CachedPages", "page_key"]


def page_key(path: str, query_string: bytes) -> str:
    """The cache key of a ``GET``: its path and its query parameters in a canonical order.

    >>> page_key("/api/v1/chains/nev/targets", b"limit=5&region=340000")
    '/api/v1/chains/nev/targets?limit=5&region=340000'
    >>> page_key("/api/v1/chains/nev/targets", b"region=340000&limit=5")
    '/api/v1/chains/nev/targets?limit=5&region=340000'
    """
    pairs = sorted(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    return f"{path}?{urlencode(pairs)}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with a 413 problem."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _too_large(self, size: str) -> TooLargeError:
        return TooLargeError(
            f"The request body has {size} bytes; the limit is {self.limit:,} (api_max_body_bytes)."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length and length.isdigit() and int(length) > self.limit:
            await problem(self._too_large(f"{int(length):,}"))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # raised inside body parsing: the framework lets it out
                    raise BodyTooLarge(self._too_large(f"more than {self.limit:,}"))
            return message

        await self.app(scope, counted, send)


class CachedPages:
    """Serve a kept response body again for the same ``GET``, checking the caller's key first."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            state: AppState | None = getattr(scope["app"].state, "chainscout", None)
            if state is not None:
                kept = state.page(page_key(scope["path"], scope["query_string"]))
                if kept is not None:
                    body, role = kept
                    if allows(state, _header(scope, b"x-api-key"), role):
                        await _send_json(send, body)
                        return
        await self.app(scope, receive, send)


async def _send_json(send: Send, body: bytes) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    start: dict[str, Any] = {"type": "http.response.start", "status": 200, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
