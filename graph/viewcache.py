"""Views kept on disk between commands, so a second question about a chain skips the store.

Taking the view of a chain from a store of a million firms reads and sorts five million links:
seconds, every time a command runs. A read-only embedded store keeps each view it makes as a
folder of numpy files under a cache folder, one folder for each store and chain, and reads it
back (a fraction of a second) while the store is unchanged. The home region is applied when a
view is read back: which firms are local is worked out from the kept region codes, a few
thousand distinct words, so one folder serves every home region.

A kept view is used only when the store's files are exactly as they were when it was made:
their size, modification time and inode (the database and its write-ahead log) are part of the
folder's ``view.json``. Any write changes one of them, so a kept view is never stale; a folder
that cannot be read is ignored and made again. Only the ``keep`` most recently used folders
are kept.

Example:
    >>> import tempfile
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=["a", "b"], names=["甲", "乙"],
    ...     regions=["440305", None], member_firm=[0, 1], member_segment=[0, 0],
    ...     member_share=[1.0, 1.0], supplier=[1], customer=[0], segment_ids=["s1"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = Path(tmp) / "v"
    ...     save_view(v, folder, stamp=[1, 2])
    ...     back = load_view(folder, stamp=[1, 2], home_region="440300")
    ...     elsewhere = load_view(folder, stamp=[1, 2], home_region="320000")
    ...     stale = load_view(folder, stamp=[1, 3], home_region="440300")
    >>> back.names.tolist(), back.regions.tolist(), back.suppliers_of(0).tolist(), stale
    (['甲', '乙'], ['440305', None], [1], None)
    >>> back.is_local.tolist(), elsewhere.home_region, elsewhere.is_local.tolist()
    ([True, False], '320000', [False, False])
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from scipy import sparse

from .model import Chain
from .tables import text_bytes
from .texts import TextColumn, code_texts, few_texts
from .view import ChainView, local_mask

__all__ = ["FORMAT", "cached_view_folder", "file_stamp", "load_view", "prune", "save_view"]

log = logging.getLogger(__name__)

#: Version of the folder layout; a folder of another version is made again.
FORMAT = 4
_META = "view.json"
#: Fields applied when a view is read back, not kept: the home region and what it makes local.
_APPLIED = ("home_region", "is_local")


def file_stamp(path: Path) -> list[int]:
    """Size, modification time (ns) and inode of a database file and of its write-ahead log
    (zeros when there is none): what any write to the store changes."""
    stamp: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            stamp += [st.st_size, st.st_mtime_ns, st.st_ino]
        except FileNotFoundError:
            stamp += [0, 0, 0]
    return stamp


def cached_view_folder(cache: Path, store: Path, chain_id: str) -> Path:
    """The folder for one store and chain (a digest of the two); it serves every home region."""
    key = "\0".join([str(store.resolve()), chain_id])
    return cache / hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def save_view(view: ChainView, folder: Path, *, stamp: Sequence[int]) -> None:
    """Write ``view`` to ``folder`` (replacing what is there) in one step: the files are
    written beside it first, then moved into place, so a reader sees all or nothing. Its home
    region and local firms are not kept: :func:`load_view` applies the home region asked for."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        meta: dict[str, Any] = {"format": FORMAT, "stamp": list(stamp), "fields": {}}
        for f in dataclasses.fields(ChainView):
            if f.name not in _APPLIED:
                meta["fields"][f.name] = _save_field(tmp, f.name, getattr(view, f.name))
        (tmp / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_view(folder: Path, *, stamp: Sequence[int], home_region: str) -> ChainView | None:
    """The view kept in ``folder`` when it was made from a store with this ``stamp``, seen
    from ``home_region``; None when there is none, it is of another store state or format, or
    it cannot be read. Firms count as local by their region code alone (a store adds the firms
    its landed projects make local)."""
    if not (folder / _META).exists():
        return None
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("stamp") != list(stamp):
            return None
        values = {
            f.name: _load_field(folder, f.name, meta["fields"][f.name])
            for f in dataclasses.fields(ChainView)
            if f.name not in _APPLIED
        }
        values["home_region"] = home_region
        values["is_local"] = _local_rows(folder, meta["fields"]["regions"], home_region)
        if len(values["is_local"]) != len(values["ids"]):
            raise ValueError("the region codes and the ids differ in length")
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("ignoring the kept view in %s: %s", folder, err)
        return None
    view = ChainView.__new__(ChainView)
    view.__dict__.update(values)
    with contextlib.suppress(OSError):  # a folder we may read but not touch: still good
        os.utime(folder / _META)  # recently used: kept longest by prune
    return view


def prune(cache: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently used folders of ``cache``."""
    try:
        folders = [p for p in cache.iterdir() if (p / _META).exists()]
    except FileNotFoundError:
        return
    folders.sort(key=lambda p: (p / _META).stat().st_mtime_ns, reverse=True)
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def _save_field(folder: Path, name: str, value: Any) -> dict[str, Any]:
    """Write one field of a view; returns what ``_load_field`` needs to read it back."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        np.save(folder / f"{name}.npy", value, allow_pickle=False)
        return {"kind": "array"}
    if isinstance(value, np.ndarray):  # region codes: a few thousand distinct among many rows
        codes, words = code_texts(pa.array(value.tolist(), pa.string()))
        np.save(folder / f"{name}.npy", codes, allow_pickle=False)
        return {"kind": "codes", "values": words}
    if isinstance(value, TextColumn):
        arrow = value.arrow
        arrow = arrow if arrow.type == pa.string() else arrow.cast(pa.string())
        data, offsets = text_bytes(arrow)
        np.save(folder / f"{name}.data.npy", data, allow_pickle=False)
        np.save(folder / f"{name}.offsets.npy", offsets, allow_pickle=False)
        if arrow.null_count:
            valid = np.asarray(arrow.is_valid(), dtype=bool)
            np.save(folder / f"{name}.valid.npy", valid, allow_pickle=False)
        return {"kind": "text", "nulls": arrow.null_count > 0}
    if isinstance(value, sparse.csr_array):
        for part in ("data", "indices", "indptr"):
            np.save(folder / f"{name}.{part}.npy", getattr(value, part), allow_pickle=False)
        return {"kind": "csr", "shape": list(value.shape)}
    if isinstance(value, Chain):
        return {"kind": "chain", "value": value.model_dump(mode="json")}
    if value is None or isinstance(value, str | list):
        return {"kind": "json", "value": value}
    raise TypeError(f"cannot keep the view field {name!r} of type {type(value).__name__}")


def _load_field(folder: Path, name: str, spec: dict[str, Any]) -> Any:
    kind = spec["kind"]
    if kind == "array":
        return _npy(folder / f"{name}.npy")
    if kind == "codes":
        return few_texts(_npy(folder / f"{name}.npy"), spec["values"])
    if kind == "text":
        offsets = _npy(folder / f"{name}.offsets.npy").astype(np.int32, copy=False)
        data = _npy(folder / f"{name}.data.npy")
        validity = None
        if spec["nulls"]:
            valid = _npy(folder / f"{name}.valid.npy")
            validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
        arrow = pa.Array.from_buffers(
            pa.string(), len(offsets) - 1, [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        return TextColumn(arrow)
    if kind == "csr":
        parts = [_npy(folder / f"{name}.{p}.npy") for p in ("data", "indices", "indptr")]
        return sparse.csr_array(tuple(parts), shape=tuple(spec["shape"]))
    if kind == "chain":
        return Chain.model_validate(spec["value"])
    if kind == "json":
        return spec["value"]
    raise ValueError(f"unknown kind {kind!r} of field {name!r}")


def _local_rows(folder: Path, spec: dict[str, Any], home_region: str) -> np.ndarray:
    """Which rows lie inside ``home_region``, from the kept region codes: each distinct word is
    tested once (code -1, unknown, is never inside)."""
    if spec["kind"] != "codes":
        raise ValueError("the region codes are not kept as codes")
    inside = np.append(local_mask(list(spec["values"]), home_region), False)
    return np.asarray(inside[_npy(folder / "regions.npy")], dtype=bool)


def _npy(path: Path) -> np.ndarray:
    return np.asarray(np.load(path, mmap_mode="c", allow_pickle=False))
