"""``chainscout serve``: run the REST API with uvicorn; ``chainscout api-key``: make a key."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from . import app
from .common import StoreOption, console, settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind: loopback unless told otherwise.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: StoreOption = None,
) -> None:
    """Serve the REST API under /api/v1 (OpenAPI at /docs) on the configured store."""
    import uvicorn

    from chainscout.api import create_app

    cfg = settings(store=store)
    if not cfg.api_keys and not cfg.api_open_read:
        console.print(
            "No API keys are configured and reading is not open: every request will be refused."
            " Make a key with `chainscout api-key`, or set api_open_read = true for reading."
        )
    uvicorn.run(create_app(cfg), host=host, port=port, log_level="info")


@app.command("api-key")
def api_key(
    role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "viewer",
) -> None:
    """Make a new random API key and print the config line that grants it ``role``.

    The key is shown once; the config keeps only its SHA-256 digest.
    """
    from chainscout.api.state import hash_key  # the API's modules only when a key is made

    if role not in ("viewer", "editor", "admin"):
        from chainscout.graph.errors import BadInputError

        raise BadInputError(f"--role: {role!r} is not one of viewer, editor, admin")
    key = secrets.token_urlsafe(32)
    typer.echo(f"key: {key}")
    typer.echo("add to the config file:")
    typer.echo(f'[api_keys]\n"{hash_key(key)}" = "{role}"')
