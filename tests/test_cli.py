"""The command line, end to end: demo, info, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chainscout.cli import main, process


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_builds_the_store_prints_segments_and_sets_defaults(
    capsys: pytest.CaptureFixture[str], isolated_settings: Path
) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "Demo store built" in out and "fictional" in out
    assert "锂资源" in out and "整车制造" in out  # the segment table, upstream to downstream
    assert out.index("锂资源") < out.index("整车制造")
    assert "chainscout info" in out  # what to try next
    config = (isolated_settings / "config.toml").read_text(encoding="utf-8")
    assert 'home_region = "349900"' in config and 'chain = "nev"' in config

    code, out, _ = run(capsys, "info", "--format", "json")  # no flags: the defaults
    info = json.loads(out)
    assert code == 0
    assert info["counts"]["enterprises"] == 2000
    assert info["home_region"] == "349900"
    assert 200 <= info["local_enterprises"] <= 450
    assert info["chains"][0]["id"] == "nev"


def test_demo_json_is_json_alone(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--format", "json", "--firms", "300")
    payload = json.loads(out)
    assert code == 0 and payload["counts"]["enterprises"] == 300
    assert len(payload["segments"]) == 37


def test_demo_refuses_to_overwrite_a_store_of_real_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from chainscout.graph import Enterprise, open_store

    path = tmp_path / "real.duckdb"
    with open_store(path) as store:
        store.upsert([Enterprise(id="a", name="真实企业")])
    code, _, err = run(capsys, "demo", "--store", str(path))
    assert code == 2
    assert "not the demo" in err
    with open_store(path, read_only=True) as store:
        assert store.counts().enterprises == 1


def test_errors_print_a_message_and_exit_non_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "info", "--store", str(tmp_path / "missing.duckdb"))
    assert code == 2
    assert "Error:" in err and "chainscout demo" in err
    assert "Traceback" not in err and out == ""


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    from chainscout.graph.errors import StoreUnavailableError

    with pytest.raises(StoreUnavailableError):
        main(["--debug", "info", "--store", str(tmp_path / "missing.duckdb")])


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chainscout", "--version"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("chainscout 0.")


def test_a_copy_that_stops_part_way_says_what_the_target_holds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from chainscout.graph import Chain, EmbeddedStore, Enterprise, InSegment, Segment

    source, target = tmp_path / "源库.duckdb", tmp_path / "目标库.duckdb"
    two = Chain(id="x", name="甲链", segments=[Segment(id="x.a", chain="x", name="甲"),
                                              Segment(id="x.b", chain="x", name="乙")])  # fmt: skip
    with EmbeddedStore(source) as s:
        s.upsert_chain(two)
        s.upsert([Enterprise(id="f1", name="一号厂"), InSegment(enterprise="f1", segment="x.b")])
        # the chain reloaded without x.b: the membership stays, but no chain has its segment
        s.upsert_chain(
            Chain(id="x", name="甲链", segments=[Segment(id="x.a", chain="x", name="甲")])
        )
    code, _, err = run(capsys, "copy", "--from", str(source), "--to", str(target))
    assert code == 2 and "Traceback" not in err
    message = " ".join(err.split())
    assert "The copy stopped:" in message and "nothing was written" not in message
    assert "it now holds 1 enterprises, 0 supply links, 0 memberships and 1 chain(s)" in message


@pytest.mark.parametrize(("setting", "advice_after"), [(None, False), ("1", True)])
def test_the_command_turns_numpy_huge_pages_off_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, advice_after: bool
) -> None:
    switch = process._hugepage_switch()
    if switch is None:
        pytest.skip("this numpy has no run-time switch of its huge-page advice")
    before = switch(True)  # numpy's default on a recent kernel
    try:
        if setting is None:
            monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
        else:
            monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", setting)
        with pytest.raises(SystemExit):
            main(["--version"])
        assert switch(True) is advice_after  # the switch returns the setting it replaces
    finally:
        switch(before)
