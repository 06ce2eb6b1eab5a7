"""One mapping from ChainScout errors to HTTP, and one error body: ``application/problem+json``
(RFC 9457) with ``type``, ``title``, ``status``, ``detail`` and, where known, ``file``, ``row``,
``field`` and ``problems``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from chainscout.graph.errors import (
    BadInputError,
    ChainScoutError,
    ConflictError,
    NotFoundError,
    StoreUnavailableError,
    ValidationFailed,
)

__all__ = [
    "PROBLEM_JSON",
    "AuthError",
    "BodyTooLarge",
    "ProblemBody",
    "TimeoutError_",
    "TooLargeError",
    "install_error_handlers",
    "status_of",
]

PROBLEM_JSON = "application/problem+json"


class AuthError(ChainScoutError):
    """No key, a wrong key, or a key whose role may not do this."""

    title = "Not allowed"

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class TooLargeError(BadInputError):
    """A request over a limit named in the settings."""

    title = "Too large"


class BodyTooLarge(StarletteHTTPException):
    """A :class:`TooLargeError` found while the body streams in. Body parsing lets only HTTP
    exceptions through unchanged, so it travels as one and leaves as its problem."""

    def __init__(self, error: TooLargeError) -> None:
        super().__init__(413, str(error))
        self.error = error


class TimeoutError_(StoreUnavailableError):
    """The store did not answer in time."""

    title = "Store timeout"


_STATUS: list[tuple[type[ChainScoutError], int]] = [
    (TooLargeError, 413),
    (ValidationFailed, 422),
    (BadInputError, 400),
    (NotFoundError, 404),
    (ConflictError, 409),
    (TimeoutError_, 504),
    (StoreUnavailableError, 503),
]


class ProblemBody(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    problems: list[dict[str, Any]] | None = None


def status_of(err: ChainScoutError) -> int:
    if isinstance(err, AuthError):
        return err.status
    for cls, code in _STATUS:
        if isinstance(err, cls):
            return code
    return 500


def _slug(cls: type) -> str:
    name = cls.__name__.rstrip("_")
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def problem(err: ChainScoutError) -> JSONResponse:
    status = status_of(err)
    body = ProblemBody(
        type=f"/problems/{_slug(type(err))}",
        title=type(err).title,
        status=status,
        detail=str(err),
    )
    p = getattr(err, "problem", None)
    if p is not None:
        body.file, body.row, body.field = p.file, p.row, p.field
    if isinstance(err, ValidationFailed):
        body.problems = [
            {"reason": x.reason, "file": x.file, "row": x.row, "field": x.field}
            for x in err.problems[:100]
        ]
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON,
        headers=headers,
    )  # fmt: skip


def install_error_handlers(app: FastAPI) -> None:
    """Every error, ours or the framework's, leaves as problem+json."""

    @app.exception_handler(ChainScoutError)
    async def _ours(request: Request, err: ChainScoutError) -> JSONResponse:
        return problem(err)

    @app.exception_handler(RequestValidationError)
    async def _params(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("query", "body", "path")]
        field = ".".join(loc) or None
        detail = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        body = ProblemBody(type="/problems/bad-request", title="Bad request", status=422,
                           detail=detail, field=field)  # fmt: skip
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422,
                            media_type=PROBLEM_JSON)  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        if isinstance(err, BodyTooLarge):
            return problem(err.error)
        title = {404: "Not found", 405: "Method not allowed"}.get(err.status_code, "HTTP error")
        body = ProblemBody(type=f"/problems/http-{err.status_code}", title=title,
                           status=err.status_code, detail=str(err.detail))  # fmt: skip
        return JSONResponse(body.model_dump(exclude_none=True), status_code=err.status_code,
                            media_type=PROBLEM_JSON)  # fmt: skip

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> JSONResponse:
        body = ProblemBody(type="/problems/internal", title="Internal error", status=500,
                           detail="An unexpected error occurred; it has been logged.")  # fmt: skip
        return JSONResponse(body.model_dump(exclude_none=True), status_code=500,
                            media_type=PROBLEM_JSON)  # fmt: skip
