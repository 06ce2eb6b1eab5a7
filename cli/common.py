"""What every command shares: consoles, the ``--store`` and ``--format`` options, settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from chainscout.graph import GraphStore, open_store
from chainscout.graph.errors import BadInputError
from chainscout.settings import Settings, load_settings

__all__ = [
    "STATE",
    "FormatOption",
    "OutputFormat",
    "StoreOption",
    "console",
    "emit_json",
    "err_console",
    "escape",
    "open_configured_store",
    "settings",
]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class _State:
    debug: bool = False


STATE = _State()


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="The store: a file path. Default: the configured store (`chainscout demo` sets it).",
        envvar=None,
    ),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="table for people, json for scripts (stdout only).")
]


def settings(**overrides: Any) -> Settings:
    """Settings with command-line overrides; a bad value is a clear error, not a traceback."""
    try:
        return load_settings(**overrides)
    except ValueError as err:
        raise BadInputError(f"settings: {err}") from None


def open_configured_store(store: str | None, *, read_only: bool = False) -> GraphStore:
    """Open ``--store`` if given, else the configured store (read-only: keeping its views)."""
    conf = settings()
    return open_store(
        store or conf.store,
        read_only=read_only,
        view_cache=conf.view_cache,
        view_cache_keep=conf.view_cache_keep,
    )


def emit_json(payload: Any) -> None:
    """Print JSON alone on stdout (Chinese kept readable)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json")
        return str(obj)

    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=default))
