"""What a load tells the user: the summary and the per-row error report.

Every loader collects its rejected rows in :class:`Rejections` (the row's place in the file, why
it was rejected, under a short reason code) and returns a :class:`LoadReport`: rows read,
loaded, merged and rejected by reason, how regions were resolved, and what the store wrote.
:func:`write_error_report` writes the rejected rows as CSV (UTF-8 with a BOM, so Excel on a
Chinese Windows opens it correctly).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from chainscout.graph.errors import BadInputError, Problem, ValidationFailed
from chainscout.graph.store import WriteSummary

__all__ = [
    "REPORT_COLUMNS",
    "LoadReport",
    "OnError",
    "ProgressFn",
    "Rejections",
    "write_error_report",
]

OnError = Literal["stop", "skip"]
#: ``progress(stage, done, total)``: called as a slow step advances (``total`` 0 when unknown).
ProgressFn = Callable[[str, int, int], None]
REPORT_COLUMNS = ("file", "row", "field", "reason_code", "reason", "value")


@dataclass
class Rejections:
    """Rejected rows of one load: each problem, its reason code, and the row indices dropped."""

    problems: list[tuple[str, Problem]] = field(default_factory=list)
    by_reason: Counter[str] = field(default_factory=Counter)

    def add(self, code: str, problem: Problem) -> None:
        """Record one problem under reason ``code`` (e.g. ``bad_credit_code``)."""
        self.problems.append((code, problem))
        self.by_reason[code] += 1

    def add_rows(
        self,
        code: str,
        rows: Iterable[int],
        reason: Callable[[int], str] | str,
        *,
        file: str,
        field_name: str | None = None,
        value: Callable[[int], str | None] | None = None,
    ) -> None:
        """Record one problem per file row in ``rows`` (row numbers as the user sees them)."""
        for row in rows:
            self.add(
                code,
                Problem(
                    reason=reason if isinstance(reason, str) else reason(row),
                    file=file,
                    row=int(row),
                    field=field_name,
                    value=None if value is None else value(row),
                ),
            )

    @property
    def count(self) -> int:
        """Problems found (a row may have several)."""
        return sum(self.by_reason.values())

    @property
    def rows(self) -> int:
        """Distinct rows rejected."""
        return len({(p.file, p.row) for _, p in self.problems})

    def sorted_problems(self) -> list[Problem]:
        """Problems in file and row order."""
        return [p for _, p in sorted(self.problems, key=lambda cp: _order(cp[1]))]

    def raise_if_any(self, what: str) -> None:
        """Raise ``ValidationFailed`` listing every problem (the ``--on-error stop`` rule)."""
        if self.problems:
            raise ValidationFailed(self.sorted_problems(), what=what)


def _order(p: Problem) -> tuple[str, int, str]:
    return (p.file or "", p.row or 0, p.field or "")


class LoadReport(BaseModel):
    """The summary of one load (what ``chainscout load`` prints, and returns as JSON)."""

    model_config = ConfigDict(arbitrary_types_allowed=False)

    source: str = Field(description="the file or folder loaded")
    format: str
    kind: str | None = None
    encoding: str | None = Field(default=None, description="detected text encoding")
    rows_read: int = 0
    rows_loaded: int = 0
    merged: int = Field(default=0, description="rows folded into another row or stored firm")
    rejected: int = 0
    rejected_by_reason: dict[str, int] = Field(default_factory=dict)
    region_rules: dict[str, int] = Field(
        default_factory=dict, description="enterprises per rule that resolved their region"
    )
    regions_unresolved: int = 0
    decisions_pending: int = Field(
        default=0, description="uncertain matches waiting for a decision in the decisions file"
    )
    decisions_file: str | None = None
    ignored_columns: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(
        default_factory=dict, description="source-specific figures (distinct firms, snapshots...)"
    )
    notes: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(
        default_factory=dict, description="seconds spent reading, checking and writing"
    )
    written: WriteSummary | None = None
    changed: int = Field(default=0, description="stored rows new or updated by this load")
    report_file: str | None = None
    problems: list[dict[str, str | int | None]] = Field(
        default_factory=list, description="the first rejected rows (all are in the report file)"
    )

    def finish(
        self,
        rejections: Rejections,
        written: WriteSummary | None,
        report_path: str | Path | None,
        *,
        shown: int = 20,
    ) -> LoadReport:
        """Fill the rejection figures and the write summary, and write the report file."""
        self.rejected = rejections.count
        self.rejected_by_reason = dict(sorted(rejections.by_reason.items()))
        self.written = written
        self.changed = 0 if written is None else written.changed
        ordered = sorted(rejections.problems, key=lambda cp: _order(cp[1]))
        self.problems = [_problem_row(code, p) for code, p in ordered[:shown]]
        if report_path is not None:
            self.write_file(rejections, report_path)
        return self

    def write_file(self, rejections: Rejections, report_path: str | Path) -> None:
        """Write the rejected rows to ``report_path``; a path that cannot be written is a
        :class:`BadInputError` naming it (loaders write it before the store)."""
        ordered = sorted(rejections.problems, key=lambda cp: _order(cp[1]))
        try:
            write_error_report(report_path, ordered)
        except OSError as err:
            raise BadInputError(
                f"cannot write the report {report_path}: {err.strerror or err}. Give --report"
                " a file in a folder you may write to; nothing was loaded."
            ) from None
        self.report_file = str(report_path)


def _problem_row(code: str, p: Problem) -> dict[str, str | int | None]:
    return {"file": p.file, "row": p.row, "field": p.field, "reason_code": code,
            "reason": p.reason, "value": p.value}  # fmt: skip


def write_error_report(path: str | Path, problems: Iterable[tuple[str, Problem]]) -> Path:
    """Write rejected rows as CSV with the columns of :data:`REPORT_COLUMNS`."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    try:
        _write_rows(tmp, problems)
        tmp.replace(p)
    finally:
        tmp.unlink(missing_ok=True)
    return p


def _write_rows(tmp: Path, problems: Iterable[tuple[str, Problem]]) -> None:
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(REPORT_COLUMNS)
        for code, prob in problems:
            writer.writerow(
                [
                    prob.file or "",
                    "" if prob.row is None else prob.row,
                    prob.field or "",
                    code,
                    prob.reason,
                    prob.value or "",
                ]
            )


def keep_mask(n: int, drop: Iterable[int]) -> np.ndarray:
    """A boolean mask of ``n`` rows, false at the 0-based indices in ``drop``."""
    mask = np.ones(n, dtype=bool)
    idx = np.fromiter(drop, dtype=np.int64)
    if len(idx):
        mask[idx] = False
    return mask
