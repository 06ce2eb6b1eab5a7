"""``chainscout load`` and ``chainscout export``: files in and out of a store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from chainscout.loaders.chainkg import load_chainkg
from chainscout.loaders.export import export_store, load_export, load_graphml
from chainscout.loaders.gdes import load_gdes
from chainscout.loaders.identity import default_decisions_path
from chainscout.loaders.report import LoadReport, OnError, ProgressFn
from chainscout.loaders.table import load_table

from . import app
from .common import (
    FormatOption,
    OutputFormat,
    StoreOption,
    console,
    emit_json,
    err_console,
    escape,
    open_configured_store,
)

__all__ = ["export", "load"]


class LoadFormat(StrEnum):
    table = "table"
    chainkg = "chainkg"
    gdes = "gdes"
    graphml = "graphml"


class KindChoice(StrEnum):
    enterprises = "enterprises"
    links = "links"
    segments = "segments"
    chain = "chain"


class OnErrorChoice(StrEnum):
    stop = "stop"
    skip = "skip"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    graphml = "graphml"


_SLOW_BYTES = 5 << 20


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressFn | None]:
    """A rich progress bar on stderr (stdout stays clean for ``--format json``)."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("loading", total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        yield update


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size if path.exists() else 0


_FMT_HELP = "table, chainkg, gdes or graphml."
_PATH_HELP = "The file (table, graphml) or folder (chainkg, gdes, an export)."
_ON_ERROR_HELP = (
    "stop at a bad row (nothing written) or skip bad rows. Default: stop for table and graphml,"
    " skip for the chainkg and gdes datasets."
)
_MAPPING_HELP = "Header-to-field mapping file (TOML or YAML)."
_DECISIONS_HELP = "Decisions file for uncertain matches. Default: beside the store."


@app.command()
def load(
    fmt: Annotated[LoadFormat, typer.Argument(metavar="FORMAT", help=_FMT_HELP)],
    path: Annotated[Path, typer.Argument(help=_PATH_HELP)],
    kind: Annotated[KindChoice, typer.Option(help="What a table holds.")] = KindChoice.enterprises,
    mapping: Annotated[Path | None, typer.Option(help=_MAPPING_HELP)] = None,
    store: StoreOption = None,
    on_error: Annotated[
        OnErrorChoice | None, typer.Option("--on-error", help=_ON_ERROR_HELP)
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write rejected rows to this CSV.")] = None,
    decisions: Annotated[Path | None, typer.Option(help=_DECISIONS_HELP)] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:  # fmt: skip
    """Load a file or dataset into the store, all or nothing per file.

    Tables (CSV, TSV, XLSX, JSON Lines) in GBK or UTF-8, with Chinese or English headers;
    see docs/loading.md for the mapping file.
    """
    dataset = fmt in (LoadFormat.chainkg, LoadFormat.gdes)
    rule: OnError = (
        "skip"
        if (on_error or (OnErrorChoice.skip if dataset else OnErrorChoice.stop))
        is OnErrorChoice.skip
        else "stop"
    )
    slow = dataset or _size(path) > _SLOW_BYTES
    with open_configured_store(store) as s, _progress(slow) as progress:
        if fmt is LoadFormat.chainkg:
            result = load_chainkg(s, path, on_error=rule, report_path=report, progress=progress)
        elif fmt is LoadFormat.gdes:
            result = load_gdes(s, path, on_error=rule, report_path=report, progress=progress)
        elif fmt is LoadFormat.graphml:
            result = load_graphml(s, path, on_error=rule, report_path=report, progress=progress)
        elif path.is_dir():
            result = load_export(s, path, on_error=rule, report_path=report, progress=progress)
        else:
            where = decisions or default_decisions_path(s.location)
            result = load_table(s, path, kind=kind.value, mapping=mapping, on_error=rule,
                                report_path=report, decisions_path=where, sheet=sheet,
                                progress=progress)  # fmt: skip
        counts = s.counts()
        location = s.location
    if output is OutputFormat.json:
        emit_json({"store": location, "load": result, "counts": counts})
        return
    _print_report(result, location)


def _print_report(r: LoadReport, location: str) -> None:
    what = f" ({r.kind})" if r.kind else ""
    enc = f", encoding {r.encoding}" if r.encoding else ""
    console.print(
        f"[bold]Loaded[/] {escape(r.source)}{what}: {r.format}{enc} into {escape(location)}"
    )
    console.print(
        f"rows read {r.rows_read:,}, loaded {r.rows_loaded:,}, merged {r.merged:,},"
        f" rejected {r.rejected:,}; store rows new or changed: {r.changed:,}"
    )
    for reason, n in r.rejected_by_reason.items():
        console.print(f"  rejected, {reason}: {n:,}")
    for key, n in r.counts.items():
        console.print(f"  {key}: {n:,}")
    if r.region_rules or r.regions_unresolved:
        rules = ", ".join(f"{k} {v:,}" for k, v in r.region_rules.items()) or "none"
        console.print(f"regions resolved by rule: {rules}; unresolved {r.regions_unresolved:,}")
    if r.ignored_columns:
        console.print(f"columns not used: {escape(', '.join(r.ignored_columns))}")
    if r.decisions_pending:
        console.print(
            f"{r.decisions_pending:,} uncertain matches wait for a decision (merge or keep-apart)"
            f" in {escape(r.decisions_file or '')}"
        )
    for note in r.notes:
        console.print(escape(note))
    for p in r.problems[:5]:
        console.print(
            f"  [yellow]{escape(str(p['file']))}, row {p['row']}[/]: {escape(str(p['reason']))}"
        )
    if r.report_file:
        console.print(f"Report of rejected rows: {escape(r.report_file)}")


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Argument(metavar="FORMAT", help="csv, jsonl or graphml.")],
    path: Annotated[Path, typer.Argument(help="A folder (csv, jsonl) or a file (graphml).")],
    store: StoreOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:  # fmt: skip
    """Write the store out as CSV or JSON Lines (a folder) or GraphML; `chainscout load` reads
    them back."""
    with open_configured_store(store, read_only=True) as s:
        counts = export_store(s, fmt.value, path)
    if output is OutputFormat.json:
        emit_json({"path": str(path), "format": fmt.value, "rows": counts})
        return
    rows = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    console.print(f"[bold]Exported[/] to {escape(str(path))}: {rows}")
