"""``create_app(settings)``: the FastAPI application.

The lifespan opens the configured store once and closes it at shutdown. Routes live in
``api/routes/`` by resource; every error leaves as problem+json (``api/errors.py``).

    >>> from chainscout.settings import Settings
    >>> app = create_app(Settings(store=":memory:"))
    >>> app.title
    'ChainScout API'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from chainscout import __version__
from chainscout.graph import open_store
from chainscout.settings import Settings

from .errors import install_error_handlers
from .middleware import BodyLimit, CachedPages
from .routes import chains, enterprises, imports, meta, pages, projects
from .state import AppState

__all__ = ["create_app"]

DESCRIPTION = """
Chain gaps, chain leaders and explained target rankings for regional investment promotion
(产业链招商). Send an API key in the `X-API-Key` header; its role (viewer, editor, admin) decides
what it may do. Errors are `application/problem+json`. Lists are paged with `limit` and `cursor`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application for ``settings`` (default: from environment and config file)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store)
        app.state.chainscout = AppState(settings, store)
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        title="ChainScout API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)

    app.add_middleware(CachedPages)
    app.add_middleware(BodyLimit, limit=settings.api_max_body_bytes)
    for module in (meta, chains, enterprises, projects, imports):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(pages.router)  # the HTML pages, under / (not /api/v1)
    return app
