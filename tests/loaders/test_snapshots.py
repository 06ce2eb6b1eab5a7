"""Reading dated supply snapshots: dates from file names, self-loops reported and dropped, bad
rows named by file, row and field, and the real GDES folder."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from chainscout.graph.errors import BadInputError
from chainscout.loaders.snapshots import read_snapshots

GDES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gdes"


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_snapshots_are_read_oldest_first_with_their_dates(tmp_path: Path) -> None:
    write(tmp_path, "A_2021_12_31.csv", "supplier,customer\n1,2\n")
    write(tmp_path, "A_2021_06_30.csv", "supplier,customer\n0,1\n0,2\n")
    write(tmp_path, "notes.txt", "not a snapshot")
    s = read_snapshots(tmp_path)
    assert s.dates == (dt.date(2021, 6, 30), dt.date(2021, 12, 31))
    assert s.files == ("A_2021_06_30.csv", "A_2021_12_31.csv")
    assert s.supplier.tolist() == [0, 0, 1]
    assert s.customer.tolist() == [1, 2, 2]
    assert s.snapshot.tolist() == [0, 0, 1]
    assert s.n_nodes == 3 and s.codes is None and s.self_loops == []


def test_self_loops_are_dropped_and_reported_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, "A_2020_06_30.csv", "supplier,customer\n0,1\n3,3\n1,2\n")
    s = read_snapshots(tmp_path)
    assert s.n_links == 2
    assert [(p.file, p.row) for p in s.self_loops] == [("A_2020_06_30.csv", 3)]
    assert "firm 3 supplies itself" in str(s.self_loops[0])


def test_a_header_only_snapshot_is_empty(tmp_path: Path) -> None:
    write(tmp_path, "A_2020_06_30.csv", "supplier,customer\n")
    write(tmp_path, "A_2020_12_31.csv", "supplier,customer\n0,1\n")
    s = read_snapshots(tmp_path)
    assert s.snapshot.tolist() == [1]


def test_node_index_gives_codes_and_bounds_ids(tmp_path: Path) -> None:
    write(tmp_path, "node_index.json", json.dumps({"ICN1": 0, "CSF2": 1, "P3": 2}))
    write(tmp_path, "A_2020_06_30.csv", "supplier,customer\n0,1\n")
    s = read_snapshots(tmp_path)
    assert s.codes == ("ICN1", "CSF2", "P3") and s.n_nodes == 3
    write(tmp_path, "A_2020_12_31.csv", "supplier,customer\n0,1\n2,7\n")
    with pytest.raises(BadInputError) as err:
        read_snapshots(tmp_path)
    problem = err.value.problem
    assert problem is not None
    assert (problem.file, problem.row, problem.field, problem.value) == (
        "A_2020_12_31.csv",
        3,
        "customer",
        "7",
    )


@pytest.mark.parametrize(
    ("text", "row", "field", "message"),
    [
        ("supplier,customer\n0,1\n2,x\n", 3, "customer", "non-negative integer"),
        ("supplier,customer\n0,1\n-4,2\n", 3, "supplier", "non-negative integer"),
        ("supplier,customer\n0,1,5\n", 2, None, "expected 2 fields"),
        ("from,to\n0,1\n", 1, None, "header must be"),
    ],
)
def test_bad_rows_name_file_row_and_field(
    tmp_path: Path, text: str, row: int, field: str | None, message: str
) -> None:
    write(tmp_path, "A_2020_06_30.csv", text)
    with pytest.raises(BadInputError, match=message) as err:
        read_snapshots(tmp_path)
    problem = err.value.problem
    assert problem is not None
    assert (problem.file, problem.row, problem.field) == ("A_2020_06_30.csv", row, field)
    assert str(err.value).startswith(f"A_2020_06_30.csv, row {row}")


def test_a_folder_without_snapshots_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no snapshot files"):
        read_snapshots(tmp_path)
    with pytest.raises(BadInputError, match="not a folder"):
        read_snapshots(tmp_path / "missing")
    write(tmp_path, "A_2020_02_30.csv", "supplier,customer\n")
    with pytest.raises(BadInputError, match="not a valid date"):
        read_snapshots(tmp_path)


def test_the_real_gdes_folder() -> None:
    if not GDES.is_dir():
        pytest.skip("GDES snapshots not found at ../shared/data/gdes beside the repository")
    s = read_snapshots(GDES)
    assert len(s.dates) >= 16 and s.dates[0] == dt.date(2015, 6, 30)
    assert s.n_nodes == 87_969 and s.codes is not None
    first = s.snapshot == 0
    assert int(first.sum()) + sum(p.file == "A_2015_06_30.csv" for p in s.self_loops) == 18_833
    assert s.self_loops and all("supplies itself" in str(p) for p in s.self_loops)
