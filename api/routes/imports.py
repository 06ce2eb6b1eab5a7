"""``POST /imports``: an uploaded file through the loaders, as ``chainscout load`` (editor role).

The upload is a multipart form: ``file`` (a table — CSV, TSV, XLSX, JSON Lines — in GBK or
UTF-8 with Chinese or English headers, or a GraphML file), what the table holds (``kind``),
``on_error`` and, optionally, a header ``mapping`` file. The load is all or nothing unless
``on_error=skip``: a bad row is a 422 problem naming the uploaded file, the row and the field,
and the store is left as it was. Reports name the file as uploaded, never where the server
kept it. After a load the API forgets its cached views, rankings and pages.

    curl -H 'X-API-Key: …' -F file=@企业名单.csv -F kind=enterprises \\
        http://127.0.0.1:8000/api/v1/imports
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel

from chainscout.graph.errors import BadInputError, ChainScoutError, Problem, ValidationFailed
from chainscout.graph.store import StoreCounts
from chainscout.loaders.export import load_graphml
from chainscout.loaders.identity import default_decisions_path
from chainscout.loaders.report import LoadReport
from chainscout.loaders.table import load_table
from chainscout.loaders.tabular import FORMATS

from ..deps import get_state, require
from ..state import AppState
from .chains import ERRORS

router = APIRouter(tags=["imports"])
Editor = Annotated[str, Depends(require("editor"))]
State = Annotated[AppState, Depends(get_state)]

Kind = Literal["enterprises", "links", "segments", "chain"]
MAPPING_SUFFIXES = (".toml", ".yaml", ".yml")
GRAPHML_SUFFIXES = (".graphml", ".xml")


class ImportResult(BaseModel):
    """What one import did (``chainscout load --format json`` without the store's location)."""

    load: LoadReport
    counts: StoreCounts


def upload_name(filename: str | None, allowed: tuple[str, ...], field: str) -> str:
    """The plain file name of an upload, safe to create in a folder of the server's own.

    The client's name is data: only its last part is kept (no folders, either slash), without
    control characters, and its suffix must be one the loaders read.

    >>> upload_name("C:\\\\导出\\\\企业名单.CSV", (".csv",), "file")
    '企业名单.CSV'
    >>> upload_name("../../etc/passwd", (".csv",), "file")
    Traceback (most recent call last):
    ...
    chainscout.graph.errors.BadInputError: field 'file': 'passwd' is not a file this import ...
    """
    name = re.split(r"[\\/]", filename or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[-200:]
    if not name.lower().endswith(allowed) or name.startswith("."):
        raise BadInputError.at(
            f"{name!r} is not a file this import reads; send one ending in {', '.join(allowed)}",
            field=field,
        )
    return name


def _unplace(text: str, folders: tuple[Path, ...]) -> str:
    """``text`` with the server's upload folders taken out of the paths it names."""
    for folder in folders:
        text = text.replace(f"{folder}{os.sep}", "")
    return text


def _as_uploaded(err: ChainScoutError, folders: tuple[Path, ...]) -> ChainScoutError:
    """The same error, naming files as uploaded instead of the server's copies."""

    def named(p: Problem) -> Problem:  # the reason may name a file too (a chain's cycle)
        return replace(p, file=_unplace(p.file, folders) if p.file else p.file,
                       reason=_unplace(p.reason, folders))  # fmt: skip

    if isinstance(err, ValidationFailed):
        problems = [named(p) for p in err.problems]
        return ValidationFailed(problems, what=_unplace(str(problems[0].file), folders))
    if isinstance(err, BadInputError):
        problem = err.problem and named(err.problem)
        return type(err)(_unplace(str(err), folders), problem=problem)
    return err


def _report_as_uploaded(report: LoadReport, folders: tuple[Path, ...]) -> LoadReport:
    problems = [
        {**p, "file": _unplace(str(p["file"]), folders)} if p.get("file") else p
        for p in report.problems
    ]
    decisions = Path(report.decisions_file).name if report.decisions_file else None
    return report.model_copy(
        update={"source": _unplace(report.source, folders), "problems": problems,
                "decisions_file": decisions, "report_file": None}
    )  # fmt: skip


def _keep(upload: UploadFile, folder: Path, name: str) -> Path:
    folder.mkdir()
    path = folder / name
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    return path


@router.post(
    "/imports",
    summary="Load an uploaded table or GraphML file through the loaders (editor role)",
    responses={**ERRORS, 413: ERRORS[400] | {"description": "The upload is over the limit"}},
)
async def create_import(
    state: State,
    _: Editor,
    file: Annotated[
        UploadFile, File(description="a CSV, TSV, XLSX or JSON Lines table, or GraphML")
    ],
    kind: Annotated[Kind, Form(description="what a table holds")] = "enterprises",
    on_error: Annotated[
        Literal["stop", "skip"],
        Form(description="stop: nothing is written when a row is bad; skip: load the good rows"),
    ] = "stop",
    sheet: Annotated[str | None, Form(description="XLSX sheet (default: the first)")] = None,
    mapping: Annotated[
        UploadFile | None, File(description="header-to-field mapping, TOML or YAML")
    ] = None,
) -> ImportResult:
    graphml = (file.filename or "").lower().endswith(GRAPHML_SUFFIXES)
    name = upload_name(file.filename, GRAPHML_SUFFIXES if graphml else tuple(FORMATS), "file")
    with tempfile.TemporaryDirectory(prefix="chainscout-import-") as tmp:
        folders = (Path(tmp) / "file", Path(tmp) / "mapping")
        saved = _keep(file, folders[0], name)
        map_path = None
        if mapping is not None and mapping.filename:
            map_name = upload_name(mapping.filename, MAPPING_SUFFIXES, "mapping")
            map_path = _keep(mapping, folders[1], map_name)

        def run() -> ImportResult:
            try:
                if graphml:
                    report = load_graphml(state.store, saved, on_error=on_error)
                else:
                    report = load_table(
                        state.store, saved, kind=kind, mapping=map_path, on_error=on_error,
                        sheet=sheet, decisions_path=default_decisions_path(state.store.location),
                    )  # fmt: skip
            except ChainScoutError as err:
                raise _as_uploaded(err, folders) from None
            finally:
                state.invalidate()
            return ImportResult(load=_report_as_uploaded(report, folders),
                                counts=state.store.counts())  # fmt: skip

        # a load is not cut by the time limit: cut, it would still finish or roll back unseen
        return await state.call(run, limited=False)
