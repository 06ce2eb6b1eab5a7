"""Text columns of a view: one string a firm, kept as Arrow until they are read in full.

A view of a million firms holds a million ids and a million names. Making a Python string of
each costs about half a second, while most analyses read only the few rows they report (the
best 50 targets, their introducers). A :class:`TextColumn` answers one row or a set of rows
from the Arrow array the store gave, and makes every string only when the whole column is
read (iterating, ``tolist()``, ``numpy.asarray``).

Example:
    >>> names = TextColumn(["甲公司", "乙公司", "丙公司"])
    >>> len(names), names[1], names[np.array([2, 0])].tolist()
    (3, '乙公司', ['丙公司', '甲公司'])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = ["TextColumn", "TextSource", "code_texts", "few_texts"]

ObjectArray = npt.NDArray[np.object_]


class TextColumn:
    """Row-aligned strings (``None`` where unknown) from an Arrow array, a numpy array or a
    sequence; indexable like a numpy array of objects."""

    def __init__(self, values: TextSource) -> None:
        if isinstance(values, TextColumn):
            self._arrow: pa.Array | pa.ChunkedArray | None = values._arrow
            if "objects" in values.__dict__:
                self.__dict__["objects"] = values.objects
        elif isinstance(values, pa.ChunkedArray):  # kept in chunks: joining them copies
            self._arrow = values.chunk(0) if values.num_chunks == 1 else values
        elif isinstance(values, pa.Array):
            self._arrow = values
        else:
            self._arrow = None
            self.__dict__["objects"] = np.asarray(values, dtype=object)
        self._length = len(self._arrow) if self._arrow is not None else len(self.objects)

    @cached_property
    def objects(self) -> ObjectArray:
        """Every value as a Python string, in one numpy array of objects (made once)."""
        assert self._arrow is not None
        return np.asarray(self._arrow.to_numpy(zero_copy_only=False), dtype=object)

    @property
    def arrow(self) -> pa.Array:
        """The values as one Arrow string array."""
        if self._arrow is None:
            self._arrow = pa.array(self.objects.tolist(), pa.string())
        elif isinstance(self._arrow, pa.ChunkedArray):
            self._arrow = self._arrow.combine_chunks()
        return self._arrow

    def __len__(self) -> int:
        return self._length

    @property
    def dtype(self) -> np.dtype[np.object_]:
        """Always ``object``, as the numpy array the column reads as."""
        return np.dtype(object)

    @property
    def shape(self) -> tuple[int]:
        return (self._length,)

    @overload
    def __getitem__(self, key: int | np.integer[Any]) -> Any: ...
    @overload
    def __getitem__(self, key: slice | Sequence[int] | npt.NDArray[Any]) -> ObjectArray: ...
    def __getitem__(self, key: Any) -> Any:
        if "objects" in self.__dict__ or self._arrow is None:
            return self.objects[key]
        if isinstance(key, int | np.integer):
            return self._arrow[int(key)].as_py()
        if isinstance(key, slice):
            return np.asarray(self._arrow[key].to_numpy(zero_copy_only=False), dtype=object)
        rows = np.asarray(key)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        rows = rows.astype(np.int64, copy=False)
        if len(rows) and (rows.min() < -self._length or rows.max() >= self._length):
            raise IndexError(f"row out of range for a column of {self._length}")
        rows = np.where(rows < 0, rows + self._length, rows)
        taken = self._arrow.take(pa.array(rows))
        return np.asarray(taken.to_numpy(zero_copy_only=False), dtype=object)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.objects)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> ObjectArray:
        return self.objects if dtype is None else self.objects.astype(dtype)

    def tolist(self) -> list[Any]:
        """Every value, as a list of Python strings."""
        return list(self.objects.tolist())

    def __repr__(self) -> str:
        head = ", ".join(repr(self[i]) for i in range(min(self._length, 3)))
        more = ", …" if self._length > 3 else ""
        return f"TextColumn([{head}{more}], {self._length} rows)"


#: What a text column can be made from.
TextSource: TypeAlias = TextColumn | pa.Array | pa.ChunkedArray | Sequence[str | None] | ObjectArray


def code_texts(values: pa.Array | pa.ChunkedArray) -> tuple[npt.NDArray[np.int32], list[str]]:
    """A text column with few distinct values (region codes) as a code per row into a list of
    the distinct words (-1 for null): what :func:`few_texts` reads back.

    >>> code_texts(pa.array(["440305", None, "440305", "320500"]))
    (array([ 0, -1,  0,  1], dtype=int32), ['440305', '320500'])
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    coded = values.dictionary_encode()
    codes = np.asarray(coded.indices.fill_null(-1).to_numpy(), dtype=np.int32)
    return codes, [str(w) for w in coded.dictionary.to_pylist()]


def few_texts(codes: npt.NDArray[np.integer[Any]], words: Sequence[str]) -> ObjectArray:
    """The rows of :func:`code_texts` as an object array: one Python string per distinct word,
    shared by its rows, instead of one per row; code -1 reads None.

    >>> few_texts(np.array([0, -1, 0, 1]), ["440305", "320500"]).tolist()
    ['440305', None, '440305', '320500']
    """
    table = np.empty(len(words) + 1, dtype=object)  # code -1 reads the None past the words
    table[: len(words)] = list(words)
    out: ObjectArray = table[codes]
    return out
