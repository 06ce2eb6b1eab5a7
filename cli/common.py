"""What every command shares: consoles, the ``--store`` and ``--format`` options, settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
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
    "json_text",
    "open_configured_store",
    "settings",
    "write_output",
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


def json_text(payload: Any) -> str:
    """``payload`` as indented JSON, Chinese kept readable (models dumped as JSON)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json")
        return str(obj)

    return json.dumps(payload, ensure_ascii=False, indent=2, default=default)


def emit_json(payload: Any) -> None:
    """Print JSON alone on stdout (Chinese kept readable)."""
    typer.echo(json_text(payload))


def write_output(path: Path, content: str | bytes) -> None:
    """Write a command's output file; a folder that is missing or may not be written is a
    clear error, not a traceback."""
    try:
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    except OSError as err:
        raise BadInputError(
            f"cannot write {path}: {err.strerror or err}. Give -o a file in a folder that exists"
            " and that you may write to."
        ) from None
