"""Target lists as rows for CSV and as an Excel workbook a task force can work from.

The workbook has one sheet of ranked targets (rank, name, region, segment, score, the top
reasons, the introducer and the path, the contact and phone where known, how each was found),
one of excluded firms with the rules they failed, and one with the weights and thresholds used, so
a printed list says how it was made.

Contacts are not part of a ranking (analyses see no personal data): the caller looks them up in
the store for the rows shown (:func:`target_contacts`) and passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from pathlib import Path
from typing import Any

from chainscout.analysis.targets import TargetRanking
from chainscout.graph.store import GraphStore

__all__ = ["TARGET_COLUMNS", "Contacts", "target_contacts", "target_rows", "targets_xlsx"]

#: Contact and phone by enterprise id (either may be None).
Contacts = Mapping[str, tuple[str | None, str | None]]

TARGET_COLUMNS = (
    "rank", "id", "name", "region", "segment", "segment_name", "segment_status", "score",
    "top_reasons", "introducer", "introducer_path", "hops", "contact", "phone", "found_by",
    "revenue", "warnings",
)  # fmt: skip
_HEADERS_ZH = (
    "排名", "企业代码", "企业名称", "地区", "环节代码", "环节", "环节状态", "得分", "主要理由",
    "引荐企业", "引荐路径", "跳数", "联系人", "联系电话", "来源", "营业收入（万元）", "提示",
)  # fmt: skip


_WIDTHS = (6, 22, 30, 9, 20, 14, 10, 8, 80, 28, 80, 6, 12, 16, 24, 16, 30)


def target_contacts(
    store: GraphStore, ranking: TargetRanking
) -> dict[str, tuple[str | None, str | None]]:
    """The stored contact and phone of each ranked target that has either, read in one call
    for the rows of ``ranking`` only."""
    firms = store.get_enterprises([t.id for t in ranking.rows])
    return {e.id: (e.contact, e.phone) for e in firms if e.contact or e.phone}


def target_rows(
    ranking: TargetRanking, lang: str = "en", contacts: Contacts | None = None
) -> list[list[Any]]:
    """One row per ranked target, in :data:`TARGET_COLUMNS` order; ``contacts`` fills the
    contact and phone columns (empty without it)."""
    rows = []
    known = contacts or {}
    for t in ranking.rows:
        intro = t.introducer
        reasons = sorted(t.factors, key=lambda f: -f.contribution)[:3]
        contact, phone = known.get(t.id, (None, None))
        rows.append(
            [
                t.rank, t.id, t.name, t.region, t.segment, t.segment_name, t.segment_status,
                t.score,
                "; ".join((f.reason_zh if lang == "zh" else f.reason) for f in reasons
                          if f.contribution > 0),
                intro.introducer_name if intro else None,
                (intro.text_zh if lang == "zh" else intro.text) if intro else None,
                intro.hops if intro else None, contact, phone,
                ", ".join(t.found_by), t.revenue, "; ".join(t.warnings),
            ]
        )  # fmt: skip
    return rows


def targets_xlsx(
    ranking: TargetRanking,
    path: str | Path | None = None,
    lang: str = "en",
    contacts: Contacts | None = None,
) -> bytes:
    """Write the workbook to ``path`` (when given) and return its bytes; ``contacts`` fills
    the contact and phone columns of the targets sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "targets 招商目标"
    ws.append(list(_HEADERS_ZH if lang == "zh" else TARGET_COLUMNS))
    for row in target_rows(ranking, lang, contacts):
        _append(ws, row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for k, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(k)].width = width

    ex = wb.create_sheet("excluded 未通过门槛")
    ex.append(["id", "name", "region", "segment", "failed"])
    for e in ranking.excluded:
        _append(ex, [e.id, e.name, e.region, e.segment, "; ".join(e.failed)])

    how = wb.create_sheet("how 说明")
    how.append(["chain", ranking.chain])
    how.append(["home region", ranking.home_region])
    how.append(["candidates", ranking.candidates])
    how.append(["passed thresholds", ranking.ranked])
    for name, weight in ranking.weights.items():
        how.append([f"weight {name}", weight])
    for name, value in ranking.thresholds.model_dump().items():
        how.append([f"threshold {name}", "" if value is None else str(value)])
    how.append(["target regions", ", ".join(ranking.target_regions)])
    for note in ranking.notes:
        how.append(["note", note])

    buf = BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _append(ws: Any, row: list[Any]) -> None:
    """Append a row; text from data never becomes an Excel formula (a name may start with =)."""
    ws.append(row)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"
