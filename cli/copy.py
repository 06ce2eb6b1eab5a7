"""``chainscout copy``: copy everything one store holds into another (embedded ⇄ Neo4j)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from chainscout.graph import EmbeddedStore, GraphStore, WriteSummary, open_store
from chainscout.graph.errors import BadInputError, ChainScoutError

from . import app
from .common import FormatOption, OutputFormat, console, emit_json, escape

__all__ = ["copy", "copy_store"]


def copy_store(
    source: GraphStore, target: GraphStore, *, batch_rows: int = 100_000
) -> dict[str, int]:
    """Copy chains, regions, meta, projects and every batch table from ``source`` into
    ``target``.

    Each exported batch is one write (one transaction) in the target, enterprises first, so a
    link always finds its firms; the copy is an upsert, so running it again changes nothing.
    An embedded target then stores its rows in a view's order (``EmbeddedStore.reorder``).
    Returns the rows written per table."""
    for chain in source.list_chains():
        target.upsert_chain(chain)
    target.upsert_regions(source.list_regions())
    for key, value in source.list_meta().items():
        target.set_meta(key, value)
    target.upsert_projects(source.list_projects())
    written: dict[str, int] = {}
    for batch in source.export_tables(batch_rows):
        summary: WriteSummary = target.write(batch)
        for name, rows in summary.given.items():
            if rows:
                written[name] = written.get(name, 0) + rows
    if isinstance(target, EmbeddedStore):  # batches leave its rows out of a view's order
        target.reorder()
    return written


def _stopped(err: ChainScoutError, target: GraphStore) -> BadInputError:
    """The error of a copy that stopped part way, saying what the target holds now."""
    problem = getattr(err, "problem", None)
    reason = str(problem) if problem is not None else str(err)
    c = target.counts()
    return BadInputError(
        f"The copy stopped: {reason}. What was copied before it stays in {target.location}:"
        f" it now holds {c.enterprises:,} enterprises, {c.supplies:,} supply links,"
        f" {c.memberships:,} memberships and {c.chains} chain(s). The copy is an upsert: mend"
        " the source and run it again.",
        problem=problem,
    )


@app.command()
def copy(
    source: Annotated[str, typer.Option("--from", help="The store to copy from (path or URI).")],
    target: Annotated[str, typer.Option("--to", help="The store to copy into (path or URI).")],
    batch_rows: Annotated[
        int, typer.Option("--batch-rows", min=1, help="Rows per write transaction.")
    ] = 100_000,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Copy a store into another: chains, regions, meta, firms and every link.

    Works both ways between the embedded store (a file path) and Neo4j (neo4j:// or bolt://,
    credentials from CHAINSCOUT_NEO4J_USER / CHAINSCOUT_NEO4J_PASSWORD). The copy is an upsert
    into what the target already holds.
    """
    if source == target:
        raise BadInputError("--from and --to name the same store: nothing to copy")
    started = time.perf_counter()
    with open_store(source, read_only=True) as src, open_store(target) as dst:
        try:
            written = copy_store(src, dst, batch_rows=batch_rows)
        except ChainScoutError as err:  # each batch is its own write: say what stayed
            raise _stopped(err, dst) from None
        counts = dst.counts()
        where_from, where_to = src.location, dst.location
    elapsed = time.perf_counter() - started
    if output is OutputFormat.json:
        emit_json({"from": where_from, "to": where_to, "written": written, "counts": counts})
        return
    console.print(
        f"Copied {escape(where_from)} → {escape(where_to)} in {elapsed:.1f} s: "
        + ", ".join(f"{rows:,} {name}" for name, rows in written.items())
    )
    console.print(
        f"The target now holds {counts.enterprises:,} enterprises, {counts.supplies:,} supply"
        f" links and {counts.chains} chain(s)."
    )
