"""The ``chainscout`` command: a thin layer that parses input, calls one function below it and
formats the result. Each command group lives in a module of its own and registers itself here.

Errors: a :class:`~chainscout.ChainScoutError` prints its message and exits with status 2; a
traceback appears only with ``--debug``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from chainscout import __version__
from chainscout.graph.errors import ChainScoutError

from . import common, process

app = typer.Typer(
    name="chainscout",
    help="ChainScout: industry-chain graph explorer for investment promotion (产业链招商).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chainscout {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    common.STATE.debug = debug


from . import backtest, chains, copy, demo, info, load, projects, serve, targets, viz  # noqa: E402  (commands register themselves on `app`)

__all__ = [
    "app",
    "backtest",
    "chains",
    "copy",
    "demo",
    "info",
    "load",
    "main",
    "projects",
    "serve",
    "targets",
    "viz",
]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``chainscout`` console script and of ``python -m chainscout``.

    It first sets up the command's process (:func:`~chainscout.cli.process.prefer_small_pages`)."""
    process.prefer_small_pages()
    try:
        app(args=list(argv) if argv is not None else None, prog_name="chainscout")
    except ChainScoutError as err:
        if common.STATE.debug:
            raise
        common.err_console.print(f"[bold red]Error:[/] {common.escape(str(err))}")
        sys.exit(2)
