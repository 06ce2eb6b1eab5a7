"""Built-in chain templates, and the errors a bad template gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainscout.graph.errors import BadInputError
from chainscout.loaders.chains import builtin_chain, builtin_chain_ids, chain_from_dict, read_chain
from chainscout.loaders.demo import DemoSpec, generate_demo


def test_the_built_in_templates_cover_the_chains_cities_target() -> None:
    assert {"nev", "pv", "ic", "biomed"} <= set(builtin_chain_ids())


@pytest.mark.parametrize("chain_id", ["nev", "pv", "ic", "biomed"])
def test_built_in_template_is_a_dag_with_keywords(chain_id: str) -> None:
    chain = builtin_chain(chain_id)
    assert len(chain.segments) >= 15
    assert len(chain.ordered_segments()) == len(chain.segments)
    for seg in chain.segments:
        assert seg.id.startswith(f"{chain_id}."), seg.id
        assert seg.keywords, f"{seg.id} has no keywords"
        assert seg.name_en
    with_codes = [s for s in chain.segments if s.industry_codes]
    assert len(with_codes) >= 5
    parents = {s.parent for s in chain.segments if s.parent}
    for seg in chain.segments:
        linked = any(seg.id in (f.upstream, f.downstream) for f in chain.feeds)
        assert linked or seg.id in parents, f"{seg.id} is neither linked nor a parent"


def test_segment_ids_are_unique_across_built_in_templates() -> None:
    ids = [s.id for c in builtin_chain_ids() for s in builtin_chain(c).segments]
    assert len(ids) == len(set(ids))


def test_hierarchical_templates_have_sub_segments() -> None:
    for chain_id in ("pv", "ic", "biomed"):
        chain = builtin_chain(chain_id)
        subs = [s for s in chain.segments if s.parent]
        assert subs and all(s.level == 1 for s in subs)


def test_nev_still_drives_the_demo() -> None:
    data = generate_demo(DemoSpec(firms=200))
    assert data.chain.id == "nev" and len(data.chain.segments) == 37


def _template(**changes: object) -> dict:
    data = {
        "id": "x",
        "name": "测试链",
        "segments": [{"id": "x.a", "name": "A"}, {"id": "x.b", "name": "B"},
                     {"id": "x.c", "name": "C"}],
        "feeds": [["x.a", "x.b"], ["x.b", "x.c"]],
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_cycle_is_rejected_naming_it() -> None:
    bad = _template(feeds=[["x.a", "x.b"], ["x.b", "x.c"], ["x.c", "x.a"]])
    with pytest.raises(BadInputError, match=r"cycle x\.a -> x\.b -> x\.c -> x\.a") as err:
        chain_from_dict(bad, source="t.json")
    assert str(err.value).startswith("t.json: ")


def test_a_dangling_edge_is_rejected_naming_it() -> None:
    bad = _template(feeds=[["x.a", "x.b"], ["x.b", "x.zz"]])
    with pytest.raises(BadInputError, match=r"unknown segments: x\.b -> x\.zz"):
        chain_from_dict(bad, source="t.json")


def test_a_duplicate_segment_is_rejected_naming_it() -> None:
    segments = [{"id": "x.a", "name": "A"}, {"id": "x.b", "name": "B"}, {"id": "x.a", "name": "A2"}]
    with pytest.raises(BadInputError, match=r"lists segment\(s\) twice: x\.a"):
        chain_from_dict(_template(segments=segments, feeds=[]), source="t.json")


def test_an_unknown_parent_is_rejected_naming_it() -> None:
    segments = [{"id": "x.a", "name": "A"}, {"id": "x.b", "name": "B", "parent": "x.q"}]
    with pytest.raises(BadInputError, match=r"unknown parent segment in x\.b -> x\.q"):
        chain_from_dict(_template(segments=segments, feeds=[]), source="t.json")


def test_a_self_feeding_segment_is_rejected() -> None:
    with pytest.raises(BadInputError, match="cannot feed itself"):
        chain_from_dict(_template(feeds=[["x.a", "x.a"]]), source="t.json")


def test_template_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_template(feeds=[["x.c", "x.a"], ["x.a", "x.c"]])), "utf-8")
    with pytest.raises(BadInputError, match=r"bad\.json: .*cycle"):
        read_chain(path)
    path.write_text("{not json", "utf-8")
    with pytest.raises(BadInputError, match=r"bad\.json: not a JSON chain template"):
        read_chain(path)
