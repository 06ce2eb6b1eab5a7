"""``chainscout backtest``: hide the future of a dated supply network and measure the predictor.

``chainscout backtest gdes PATH --train-until 2022-06-30 --predict 2022-12-31`` reads the
snapshot folder, fits on the snapshots up to ``--train-until`` only, predicts ``--predict`` and
prints each method's AUC, average precision, precision@k and recall@k for pairs seen before,
pairs never seen, and all the target's links against twice as many uniformly drawn non-links
(how the published figure on GDES was measured), the baselines computed in the same run.
"""

from __future__ import annotations

import datetime as dt
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from chainscout.analysis.backtest import PREDICTOR, BacktestReport, backtest_links
from chainscout.analysis.linkpred import DatedLinks
from chainscout.graph.errors import BadInputError
from chainscout.loaders.snapshots import read_snapshots

from . import app
from .common import FormatOption, OutputFormat, console, emit_json, err_console, escape


class BacktestSource(StrEnum):
    """Formats of dated supply networks the backtest reads."""

    gdes = "gdes"


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInputError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def render(report: BacktestReport) -> None:
    """Print a report as rich tables, one per group of pairs."""
    console.print(
        f"Backtest: fitted on snapshots up to {report.train_until}, predicting {report.predict} "
        f"({report.horizon} snapshot(s) ahead); {report.target_links:,} links in the target, "
        f"{report.cold_start_links:,} of them touch a firm never seen before."
    )
    console.print(
        f"Training targets: {report.training_targets[0]} … {report.training_targets[-1]} "
        f"({len(report.training_targets)} windows); smoothing decay {report.decay}; seed "
        f"{report.seed}."
    )
    checked = ", ".join(f"{rule} {auc:.4f}" for rule, auc in report.seen_validation_auc.items())
    console.print(
        f"Seen pairs fitted on {report.seen_windows_rule} "
        f"({len(report.seen_training_targets)} windows), scored by {report.seen_combine}"
        + (f"; AUC on the last training window: {checked}." if checked else ".")
    )
    titles = {
        "seen": "pairs seen before",
        "new": "pairs never seen (known firms, sampled)",
        "all": "all target links against uniform non-links",
    }
    for g in report.groups:
        table = Table(
            title=f"{titles[g.group]}: {g.pairs:,} pairs, {g.positives:,} became links",
            title_justify="left",
            box=box.SIMPLE_HEAD,  # no vertical rules or edges: two cutoffs fit 80 columns
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("method", no_wrap=True)
        for col in ("AUC", "AP"):
            table.add_column(col, justify="right")
        for k in report.k:
            table.add_column(f"P@{k}", justify="right")
            table.add_column(f"R@{k}", justify="right")
        for m in g.methods:
            cells = [_fmt(m.auc), _fmt(m.average_precision)]
            for k in report.k:
                cells += [_fmt(m.precision_at[k]), _fmt(m.recall_at[k])]
            name = f"[bold]{escape(m.method)}[/]" if m.method == PREDICTOR else escape(m.method)
            table.add_row(name, *cells)
        console.print(table)
        missed = [m.method for m in g.methods if m.method != PREDICTOR]
        beaten = set(g.predictor_beats_baselines)
        lost = [m for m in missed if m not in beaten]
        console.print(
            f"{PREDICTOR} beats every baseline on AUC."
            if not lost
            else f"{PREDICTOR} does not beat: {', '.join(lost)}."
        )


@app.command()
def backtest(
    source: Annotated[BacktestSource, typer.Argument(help="Format of the snapshots: gdes.")],
    path: Annotated[Path, typer.Argument(help="Folder of A_YYYY_MM_DD.csv snapshot files.")],
    train_until: Annotated[
        str, typer.Option("--train-until", help="Last snapshot the predictor may see (date).")
    ],
    predict: Annotated[str, typer.Option("--predict", help="Snapshot to predict (date).")],
    k: Annotated[
        list[int] | None,
        typer.Option("--k", help="Cutoffs for precision@k and recall@k (repeatable)."),
    ] = None,
    neg_ratio: Annotated[
        int, typer.Option("--neg-ratio", min=1, help="Sampled never-seen pairs per new link.")
    ] = 5,
    seed: Annotated[int, typer.Option(help="Random seed of sampling and fitting.")] = 0,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Hide the future of a dated supply network and measure how well links are predicted."""
    train = _date(train_until, "--train-until")
    target = _date(predict, "--predict")
    started = time.perf_counter()
    snaps = read_snapshots(path)
    links = DatedLinks.from_arrays(
        supplier=snaps.supplier,
        customer=snaps.customer,
        snapshot=snaps.snapshot,
        dates=snaps.dates,
        n_nodes=snaps.n_nodes,
    )
    report = backtest_links(
        links,
        train_until=train,
        predict=target,
        k=tuple(k) if k else (100, 1000),
        neg_ratio=neg_ratio,
        seed=seed,
    )
    elapsed = time.perf_counter() - started
    if output is OutputFormat.json:
        payload = report.model_dump(mode="json")
        payload["self_loops_dropped"] = [str(p) for p in snaps.self_loops]
        payload["seconds"] = round(elapsed, 1)
        emit_json(payload)
        return
    if snaps.self_loops:
        err_console.print(
            f"Dropped {len(snaps.self_loops)} self-loop row(s), e.g. "
            f"{escape(str(snaps.self_loops[0]))}"
        )
    render(report)
    console.print(f"Done in {elapsed:.1f} s.")
