"""The demo city: a deterministic, clearly labelled synthetic dataset that ChainScout makes itself.

星澜市 (Xinglan, code 349900) is a fictional city; no such city exists. Its firms and those of the
real provinces and cities around it are invented, with invented brand names, for one chain: new-
energy vehicles and power batteries (the built-in ``nev`` template, 37 segments from lithium ore to
vehicle assembly, charging and recycling). The city is strong in assembly and body parts, weak in
battery materials and electronics, and has no firm at all in some resource and chip segments, so
that every gap status shows up.

The same generator makes a graph of any size: ``DemoSpec(firms=1_000_000, links_per_firm=5)``
gives a million firms and about five million links for benchmarks, in a few seconds, with numpy.

Example:
    >>> data = generate_demo(DemoSpec(firms=300))
    >>> data.batch.enterprises.num_rows, data.chain.id
    (300, 'nev')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainscout.graph.codes import ALPHABET
from chainscout.graph.model import Chain, Region
from chainscout.graph.projects import FollowUp, FundArrival, Project, Stage
from chainscout.graph.regions import PROVINCES
from chainscout.graph.store import GraphStore, WriteSummary
from chainscout.graph.tables import INVESTMENTS, MEMBERSHIPS, SUPPLIES, GraphBatch

from .chains import builtin_chain

__all__ = [
    "DEMO_CITY",
    "DEMO_SOURCE",
    "DemoData",
    "DemoSpec",
    "build_demo_store",
    "demo_projects",
    "generate_demo",
]

#: The fictional home city and its three districts.
DEMO_CITY = Region(code="349900", name="星澜市（虚构示例城市）", level="city", parent="340000")
DEMO_DISTRICTS = (
    Region(code="349901", name="星澜市临港区", level="county", parent="349900"),
    Region(code="349902", name="星澜市高新区", level="county", parent="349900"),
    Region(code="349903", name="星澜市经开区", level="county", parent="349900"),
)
DEMO_SOURCE = "chainscout-demo (synthetic)"

# Real cities where outside firms sit, with weights: GB/T 2260 code, name.
_CITIES: tuple[tuple[str, str, float], ...] = (
    ("110100", "北京市", 6), ("120100", "天津市", 2), ("130100", "石家庄市", 1),
    ("130200", "唐山市", 1), ("140100", "太原市", 0.5), ("150200", "包头市", 1),
    ("210100", "沈阳市", 1), ("210200", "大连市", 1), ("220100", "长春市", 1.5),
    ("230100", "哈尔滨市", 0.5), ("310100", "上海市", 8), ("320100", "南京市", 3),
    ("320200", "无锡市", 3), ("320400", "常州市", 4), ("320500", "苏州市", 5),
    ("320600", "南通市", 1), ("330100", "杭州市", 4), ("330200", "宁波市", 4),
    ("330400", "嘉兴市", 1.5), ("330600", "绍兴市", 1), ("340100", "合肥市", 4),
    ("340200", "芜湖市", 2), ("350100", "福州市", 1), ("350200", "厦门市", 1.5),
    ("350900", "宁德市", 2), ("360100", "南昌市", 1), ("360500", "新余市", 1),
    ("360900", "宜春市", 1.5), ("370100", "济南市", 1.5), ("370200", "青岛市", 2),
    ("410100", "郑州市", 2), ("420100", "武汉市", 3), ("430100", "长沙市", 2),
    ("440100", "广州市", 5), ("440300", "深圳市", 8), ("440400", "珠海市", 1.5),
    ("440600", "佛山市", 2), ("441300", "惠州市", 2), ("441900", "东莞市", 3),
    ("450100", "南宁市", 0.5), ("500100", "重庆市", 3), ("510100", "成都市", 3),
    ("511500", "宜宾市", 1.5), ("513200", "阿坝藏族羌族自治州", 0.5), ("520100", "贵阳市", 1),
    ("530100", "昆明市", 0.5), ("610100", "西安市", 2.5), ("620100", "兰州市", 0.5),
    ("630100", "西宁市", 0.5), ("632800", "海西蒙古族藏族自治州", 0.7), ("640100", "银川市", 0.3),
    ("650100", "乌鲁木齐市", 0.3),
)  # fmt: skip
_ABROAD: tuple[tuple[str, str, float], ...] = (
    ("JP", "日本", 1.0), ("KR", "韩国", 1.0), ("DE", "德国", 1.0), ("US", "美国", 0.8),
)  # fmt: skip

# Per segment: local propensity (0 missing, <1 weak, 1 present, >1 strong), market size weight,
# industry word of firm names, energy intensity (tce/万元), technology level 0-1.
_PROFILE: dict[str, tuple[float, float, str, float, float]] = {
    "nev.lithium_ore": (0.0, 0.6, "矿业", 1.4, 0.2),
    "nev.nickel_cobalt": (0.0, 0.5, "资源", 1.5, 0.2),
    "nev.graphite": (0.3, 0.6, "碳素", 1.2, 0.3),
    "nev.rare_earth": (0.0, 0.5, "稀土", 1.6, 0.3),
    "nev.phosphorus": (0.8, 0.7, "化工", 1.3, 0.3),
    "nev.lithium_salt": (0.2, 0.8, "锂业", 1.1, 0.4),
    "nev.precursor": (0.0, 0.6, "新材料", 0.9, 0.5),
    "nev.cathode": (0.25, 1.0, "新能源材料", 0.8, 0.6),
    "nev.anode": (0.3, 0.9, "碳材料", 0.9, 0.6),
    "nev.electrolyte": (0.2, 0.7, "电解液", 0.6, 0.6),
    "nev.separator": (0.0, 0.6, "膜科技", 0.5, 0.7),
    "nev.copper_foil": (0.3, 0.6, "铜箔", 0.7, 0.5),
    "nev.battery_structure": (1.6, 0.9, "精密结构", 0.3, 0.4),
    "nev.battery_cell": (1.0, 1.2, "电池", 0.35, 0.8),
    "nev.bms": (0.8, 0.6, "电子", 0.1, 0.8),
    "nev.battery_pack": (1.7, 1.0, "能源科技", 0.15, 0.7),
    "nev.magnet": (0.25, 0.6, "磁材", 0.9, 0.5),
    "nev.power_semi": (0.0, 0.8, "半导体", 0.4, 0.95),
    "nev.auto_chip": (0.0, 0.8, "微电子", 0.3, 1.0),
    "nev.motor": (1.0, 0.9, "电机", 0.2, 0.6),
    "nev.motor_controller": (0.9, 0.7, "电控", 0.1, 0.8),
    "nev.reducer": (1.3, 0.6, "传动", 0.25, 0.4),
    "nev.e_drive": (1.0, 0.6, "动力", 0.2, 0.7),
    "nev.sensor": (0.2, 0.8, "传感", 0.15, 0.9),
    "nev.display": (0.9, 0.6, "光电", 0.3, 0.7),
    "nev.adas": (0.2, 0.8, "智驾科技", 0.05, 1.0),
    "nev.cockpit": (0.9, 0.7, "智能科技", 0.05, 0.8),
    "nev.thermal": (1.0, 0.8, "热管理", 0.2, 0.6),
    "nev.steel_aluminium": (1.0, 1.0, "金属材料", 1.2, 0.3),
    "nev.body": (2.2, 1.2, "汽车部件", 0.3, 0.4),
    "nev.chassis": (1.0, 1.0, "底盘系统", 0.25, 0.5),
    "nev.tyre": (1.9, 0.6, "轮胎", 0.5, 0.3),
    "nev.interior": (2.4, 1.2, "汽车内饰", 0.15, 0.3),
    "nev.vehicle": (2.0, 0.5, "汽车", 0.12, 0.7),
    "nev.charging_equipment": (0.9, 0.8, "电气", 0.1, 0.6),
    "nev.charging_service": (1.0, 0.8, "充电服务", 0.05, 0.3),
    "nev.recycling": (0.0, 0.5, "循环科技", 0.7, 0.4),
}
_LEADER_SEGMENTS = ("nev.vehicle", "nev.battery_pack", "nev.battery_cell", "nev.body")
_BRAND = "澜驰岚拓曜昇翎珀瀚骁熠琨璟霁翊泓澄蔚嵘砚翱烁朔珩璞湛铖钺煜晟琛珺"
_SUFFIX = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司")
# Fictional contacts: a surname and a title (张经理); landlines take their city's area code.
_SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"
_TITLES = ("经理", "总", "主任", "部长", "女士", "先生")
_AREA_CODES = {
    "110100": "010", "120100": "022", "310100": "021", "320100": "025", "320200": "0510",
    "320400": "0519", "320500": "0512", "330100": "0571", "330200": "0574", "340100": "0551",
    "420100": "027", "440100": "020", "440300": "0755", "500100": "023", "510100": "028",
    "610100": "029",
}  # fmt: skip


@dataclass(frozen=True)
class DemoSpec:
    """Size and seed of a generated graph. Same spec, same graph, byte for byte."""

    firms: int = 2000
    links_per_firm: float = 4.0
    local_share: float = 0.15
    seed: int = 20261201


@dataclass(frozen=True)
class DemoData:
    chain: Chain
    regions: list[Region]
    batch: GraphBatch
    home_region: str


def generate_demo(spec: DemoSpec | None = None) -> DemoData:
    """Generate the demo graph for ``spec`` (see the module docstring)."""
    spec = spec or DemoSpec()
    if spec.firms < 50:
        raise ValueError("the demo needs at least 50 firms to populate the chain")
    rng = np.random.default_rng(spec.seed)
    chain = builtin_chain("nev")
    seg_ids = [s.id for s in chain.segments]
    n_seg = len(seg_ids)
    n = spec.firms
    prof = [_PROFILE[s] for s in seg_ids]
    propensity = np.array([p[0] for p in prof])
    size_w = np.array([p[1] for p in prof])
    energy_base = np.array([p[3] for p in prof])
    tech = np.array([p[4] for p in prof])

    # who is local, and in which segment each firm works
    is_local = rng.random(n) < spec.local_share
    segment = np.empty(n, dtype=np.int64)
    w_out = size_w / size_w.sum()
    w_loc = size_w * propensity / (size_w * propensity).sum()
    segment[~is_local] = rng.choice(n_seg, size=int((~is_local).sum()), p=w_out)
    segment[is_local] = rng.choice(n_seg, size=int(is_local.sum()), p=w_loc)

    # regions
    region = np.empty(n, dtype=object)
    districts = np.array([d.code for d in DEMO_DISTRICTS], dtype=object)
    region[is_local] = districts[rng.integers(0, len(districts), int(is_local.sum()))]
    places = _CITIES + _ABROAD
    codes = np.array([c for c, _, _ in places], dtype=object)
    pw = np.array([w for _, _, w in places])
    abroad_bias = np.isin(np.arange(len(places)), np.arange(len(_CITIES), len(places)))
    n_out = int((~is_local).sum())
    out_seg = segment[~is_local]
    # chips, sensors and power semiconductors come from abroad more often
    foreign_prone = np.isin(out_seg, [seg_ids.index(s) for s in ("nev.auto_chip", "nev.sensor",
                                                                  "nev.power_semi")])  # fmt: skip
    domestic_w = np.where(abroad_bias, 0.0, pw)
    any_w = np.where(abroad_bias, pw * 6, pw)
    pick_home = rng.choice(len(places), size=n_out, p=domestic_w / domestic_w.sum())
    pick_any = rng.choice(len(places), size=n_out, p=any_w / any_w.sum())
    region[~is_local] = codes[np.where(foreign_prone, pick_any, pick_home)]

    # size and quality
    revenue = np.round(np.exp(rng.normal(9.3, 1.4, n)) * (0.6 + size_w[segment]), 1)
    leaders = _pick_leaders(rng, is_local, segment, seg_ids)
    revenue[leaders] *= rng.uniform(40, 120, len(leaders))
    revenue = np.round(revenue, 1)
    employees = np.maximum(5, np.round(revenue / rng.uniform(60, 200, n))).astype(np.int64)
    energy = np.round(energy_base[segment] * np.exp(rng.normal(0, 0.45, n)), 3)
    rd = np.round(np.clip(rng.beta(2, 30, n) * (0.5 + 2 * tech[segment]), 0, 0.4), 4)
    env_p = np.array([0.3, 0.45, 0.2, 0.05])
    env = rng.choice(4, size=n, p=env_p)
    env = np.minimum(3, env + (energy > 1.4).astype(np.int64))
    env_letters = np.array(["A", "B", "C", "D"], dtype=object)[env]
    high_tech = rng.random(n) < 0.2 + 0.5 * tech[segment]
    zjtx = rng.random(n) < 0.04 + 0.1 * tech[segment]
    giant = zjtx & (rng.random(n) < 0.3)
    listed = revenue >= np.quantile(revenue, 0.97)
    leader_mask = np.zeros(n, dtype=bool)
    leader_mask[leaders] = True
    unknown_revenue = (rng.random(n) < 0.04) & ~leader_mask
    unknown_rd = rng.random(n) < 0.2

    tags = [
        [t for t, on in (("链主", a), ("高新技术企业", b), ("专精特新", c), ("小巨人", d),
                         ("上市公司", e)) if on]
        for a, b, c, d, e in zip(leader_mask.tolist(), high_tech.tolist(), zjtx.tolist(),
                                 giant.tolist(), listed.tolist(), strict=True)
    ]  # fmt: skip

    ids = _credit_codes(rng, region, n)
    abroad = np.array([len(r) == 2 for r in region.tolist()], dtype=bool)
    credit = [None if far else code for far, code in zip(abroad.tolist(), ids, strict=True)]
    for i in np.flatnonzero(abroad).tolist():  # firms abroad have no Chinese credit code
        ids[i] = f"demo:{region[i]}-{i:07d}"
    names = _names(rng, region, segment, prof, places, n)
    enterprises = pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "name": pa.array(names, pa.string()),
            "credit_code": pa.array(credit, pa.string()),
            "region": pa.array(region, pa.string()),
            "revenue": pa.array(np.where(unknown_revenue, np.nan, revenue), pa.float64(),
                                from_pandas=True),
            "employees": pa.array(employees, pa.int64()),
            "tags": pa.array(tags, pa.list_(pa.string())),
            "energy_intensity": pa.array(energy, pa.float64()),
            "env_rating": pa.array(env_letters, pa.string()),
            "rd_share": pa.array(np.where(unknown_rd, np.nan, rd), pa.float64(), from_pandas=True),
            "source": pa.array([DEMO_SOURCE] * n, pa.string()),
        }
    )  # fmt: skip

    # memberships: one main segment, and a second, neighbouring one for some firms
    second = rng.random(n) < 0.08
    neighbour_seg = _neighbour_segments(chain, seg_ids)
    sec_seg = np.array([neighbour_seg[s][rng.integers(0, len(neighbour_seg[s]))]
                        if neighbour_seg[s] else s for s in segment.tolist()])  # fmt: skip
    second &= sec_seg != segment
    mem_firm = np.concatenate([np.arange(n), np.flatnonzero(second)])
    mem_seg = np.concatenate([segment, sec_seg[second]])
    mem_share = np.concatenate([np.where(second, 0.7, 1.0), np.full(int(second.sum()), 0.3)])
    seg_names = np.array(seg_ids, dtype=object)
    memberships = pa.table(
        {
            "enterprise": pa.array(np.asarray(ids, dtype=object)[mem_firm], pa.string()),
            "segment": pa.array(seg_names[mem_seg], pa.string()),
            "share": pa.array(mem_share, pa.float64()),
        }
    )

    supplies = _links(rng, spec, chain, seg_ids, segment, is_local, revenue, leader_mask, ids)
    investments = _investments(rng, n, revenue, region, ids)
    # drawn last, so that the firms, links and investments above stay as they were
    land = _land_and_contacts(rng, energy_base[segment], tech[segment], enterprises["region"])
    for name, column in land.items():
        enterprises = enterprises.append_column(name, column)
    batch = GraphBatch(
        enterprises=enterprises,
        supplies=supplies,
        memberships=memberships.cast(MEMBERSHIPS),
        investments=investments.cast(INVESTMENTS),
    )
    return DemoData(chain=chain, regions=demo_regions(), batch=batch, home_region=DEMO_CITY.code)


def demo_regions() -> list[Region]:
    """The region rows the demo uses: China, its provinces, the cities, the fictional city."""
    rows = [Region(code="CN", name="中国", level="country")]
    rows += [Region(code=f"{c}0000", name=full, level="province", parent="CN")
             for c, (full, _) in PROVINCES.items()]  # fmt: skip
    rows += [Region(code=c, name=name, level="city", parent=c[:2] + "0000")
             for c, name, _ in _CITIES]  # fmt: skip
    rows += [Region(code=c, name=name, level="country") for c, name, _ in _ABROAD]
    rows += [DEMO_CITY, *DEMO_DISTRICTS]
    return rows


def build_demo_store(store: GraphStore, spec: DemoSpec | None = None) -> WriteSummary:
    """Write the demo graph into ``store`` and mark the store as demo data."""
    data = generate_demo(spec)
    store.upsert_chain(data.chain)
    store.upsert_regions(data.regions)
    summary = store.write(data.batch)
    store.upsert_projects(demo_projects(data))
    store.set_meta("demo", DEMO_SOURCE)
    store.set_meta("home_region", data.home_region)
    store.set_meta("chain", data.chain.id)
    return summary


def _pick_leaders(
    rng: np.random.Generator, is_local: npt.NDArray[np.bool_], segment: npt.NDArray[np.int64],
    seg_ids: list[str],
) -> npt.NDArray[np.int64]:  # fmt: skip
    """One or two local anchor firms in each leader segment (链主)."""
    out: list[int] = []
    for sid in _LEADER_SEGMENTS:
        pool = np.flatnonzero(is_local & (segment == seg_ids.index(sid)))
        if len(pool):
            take = min(len(pool), 2 if sid in ("nev.vehicle", "nev.battery_pack") else 1)
            out.extend(rng.choice(pool, size=take, replace=False).tolist())
    return np.array(sorted(out), dtype=np.int64)


def _credit_codes(rng: np.random.Generator, region: npt.NDArray[np.object_], n: int) -> list[str]:
    """Valid, unique unified social credit codes (GB 32100) for ``n`` firms."""
    alphabet = np.array(list(ALPHABET))
    weights = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
    division = np.array([r if len(r) == 6 else "000000" for r in region.tolist()])
    digits = np.frombuffer("".join(division.tolist()).encode(), dtype=np.uint8).reshape(n, 6) - 48
    # organisation code: an injective map of the firm's index into 31**8, then one digit
    span = 31**8
    value = (np.arange(n, dtype=np.int64) * 104_729 + int(rng.integers(0, span))) % span
    org = np.empty((n, 9), dtype=np.int64)
    for k in range(7, -1, -1):
        org[:, k] = value % 31
        value //= 31
    org[:, 8] = rng.integers(0, 10, n)
    body = np.concatenate([np.full((n, 1), 9), np.full((n, 1), 1), digits, org], axis=1)
    check = (31 - (body * weights).sum(axis=1) % 31) % 31
    chars = alphabet[np.concatenate([body, check[:, None]], axis=1)]
    return ["".join(row) for row in chars.tolist()]


def _names(
    rng: np.random.Generator, region: npt.NDArray[np.object_], segment: npt.NDArray[np.int64],
    prof: list[tuple[float, float, str, float, float]],
    places: tuple[tuple[str, str, float], ...], n: int,
) -> list[str]:  # fmt: skip
    """Invented firm names: place, an invented brand, trade word, legal suffix. As in a real
    register, no two firms of one place and trade share a name, not even without the legal
    suffix (which identity matching ignores): the brand has two random characters, and a firm
    whose two were drawn before in its place and trade gets a third (or more) after them."""
    place_name = {c: name.removesuffix("市") for c, name, _ in places}
    place_name.update({d.code: "星澜" for d in DEMO_DISTRICTS})
    brand = np.array(list(_BRAND))
    i1 = rng.integers(0, len(brand), n)
    i2 = rng.integers(0, len(brand), n)
    suffix = np.array(_SUFFIX)[rng.integers(0, len(_SUFFIX), n)]
    words = [p[2] for p in prof]
    places_of = np.array([place_name.get(r, "") for r in region.tolist()], dtype=object)
    _, place_idx = np.unique(places_of.astype(str), return_inverse=True)
    cell = ((place_idx.astype(np.int64) * len(prof) + segment) * len(brand) + i1) * len(brand) + i2
    order = np.argsort(cell, kind="stable")
    ordered = cell[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    run_start = np.repeat(starts, np.diff(np.append(starts, n)))
    repeat = np.empty(n, dtype=np.int64)
    repeat[order] = np.arange(n) - run_start  # 0 for the first firm of a name, 1, 2... after
    extra = {int(k): _bijective(int(k), brand.tolist()) for k in np.unique(repeat).tolist()}
    names = [
        f"{pl}{brand[x]}{brand[y]}{extra[k]}{words[s]}{z}"
        for pl, x, y, k, s, z in zip(places_of.tolist(), i1.tolist(), i2.tolist(),
                                     repeat.tolist(), segment.tolist(), suffix.tolist(),
                                     strict=True)
    ]  # fmt: skip
    return names


def _bijective(k: int, digits: list[str]) -> str:
    """``k`` in bijective base ``len(digits)``: "" for 0, and a distinct text for every k."""
    out = ""
    while k > 0:
        k -= 1
        out = digits[k % len(digits)] + out
        k //= len(digits)
    return out


def _neighbour_segments(chain: Chain, seg_ids: list[str]) -> list[list[int]]:
    pos = {s: i for i, s in enumerate(seg_ids)}
    out: list[list[int]] = [[] for _ in seg_ids]
    for f in chain.feeds:
        out[pos[f.upstream]].append(pos[f.downstream])
        out[pos[f.downstream]].append(pos[f.upstream])
    return out


def _links(
    rng: np.random.Generator, spec: DemoSpec, chain: Chain, seg_ids: list[str],
    segment: npt.NDArray[np.int64], is_local: npt.NDArray[np.bool_],
    revenue: npt.NDArray[np.float64], leader: npt.NDArray[np.bool_], ids: list[str],
) -> pa.Table:  # fmt: skip
    """Supply links along FEEDS: each firm buys from firms of its upstream segments, the larger
    suppliers more often, local buyers from local suppliers somewhat more often."""
    n = len(segment)
    n_seg = len(seg_ids)
    pos = {s: i for i, s in enumerate(seg_ids)}
    ups: list[list[int]] = [[] for _ in seg_ids]
    for f in chain.feeds:
        ups[pos[f.downstream]].append(pos[f.upstream])
    n_ups = np.array([len(u) for u in ups])
    up_ptr = np.concatenate([[0], np.cumsum(n_ups)])
    up_flat = np.array([u for us in ups for u in us], dtype=np.int64)

    buyers = n_ups[segment] > 0
    mean = spec.links_per_firm * n / max(1, int(buyers.sum()))
    k = rng.poisson(mean, n) * buyers
    k[leader] = (k[leader] * 12).astype(k.dtype)
    customer = np.repeat(np.arange(n), k)
    cseg = segment[customer]
    choice = up_ptr[cseg] + (rng.random(len(customer)) * n_ups[cseg]).astype(np.int64)
    useg = up_flat[choice]

    weight = np.sqrt(revenue)
    local_pref = is_local[customer] & (rng.random(len(customer)) < 0.35)
    supplier = np.full(len(customer), -1, dtype=np.int64)
    for pool_mask, edges in ((np.ones(n, dtype=bool), ~local_pref), (is_local, local_pref)):
        order = np.flatnonzero(pool_mask)
        order = order[np.argsort(segment[order], kind="stable")]
        seg_of = segment[order]
        counts = np.bincount(seg_of, minlength=n_seg)
        w = weight[order]
        seg_total = np.bincount(seg_of, weights=w, minlength=n_seg)
        cum = np.cumsum(w) - np.concatenate([[0], np.cumsum(seg_total)])[seg_of]
        cum_norm = seg_of + cum / np.where(seg_total[seg_of] > 0, seg_total[seg_of], 1)
        want = np.flatnonzero(edges & (counts[useg] > 0))
        r = useg[want] + rng.random(len(want)) * (1 - 1e-12)
        idx = np.minimum(np.searchsorted(cum_norm, r, side="right"), len(order) - 1)
        supplier[want] = order[idx]
    # a local buyer whose segment has no local supplier buys outside
    retry = np.flatnonzero(supplier < 0)
    if len(retry):
        order = np.argsort(segment, kind="stable")
        seg_of = segment[order]
        starts = np.searchsorted(seg_of, useg[retry], side="left")
        ends = np.searchsorted(seg_of, useg[retry], side="right")
        ok = ends > starts
        pick = starts + (rng.random(len(retry)) * (ends - starts)).astype(np.int64)
        supplier[retry[ok]] = order[pick[ok]]
    keep = (supplier >= 0) & (supplier != customer)
    key = np.unique(supplier[keep] * n + customer[keep])
    sup, cus = key // n, key % n
    e = len(key)
    reported = rng.random(e) < 0.85
    has_share = rng.random(e) < 0.6
    share = np.round(rng.uniform(0.02, 0.45, e), 3)
    volume = np.round(share * np.nan_to_num(revenue[cus], nan=1000.0) * 0.6, 1)
    year = rng.integers(2012, 2025, e)
    since = (np.array([dt.date(y, 1, 1).toordinal() for y in range(2012, 2025)])[year - 2012]
             - dt.date(1970, 1, 1).toordinal())  # fmt: skip
    id_arr = np.asarray(ids, dtype=object)
    return pa.table(
        {
            "supplier": pa.array(id_arr[sup], pa.string()),
            "customer": pa.array(id_arr[cus], pa.string()),
            "share": pa.array(np.where(has_share, share, np.nan), pa.float64(), from_pandas=True),
            "volume": pa.array(np.where(has_share, volume, np.nan), pa.float64(), from_pandas=True),
            "source": pa.array([DEMO_SOURCE] * e, pa.string()),
            "since": pa.array(since.astype(np.int32), pa.date32()),
            "seen": pa.nulls(e, pa.list_(pa.date32())),
            "confidence": pa.array(np.where(reported, "reported", "inferred"), pa.string()),
        },
        schema=SUPPLIES,
    )


def _land_and_contacts(
    rng: np.random.Generator, energy: npt.NDArray[np.float64], tech: npt.NDArray[np.float64],
    region: pa.ChunkedArray,
) -> dict[str, pa.Array]:  # fmt: skip
    """The 标准地 indicators and contact fields of each firm (``energy`` and ``tech`` of its
    segment, ``region`` its region code): about 60% report investment intensity and tax per
    mu, heavy industry investing more per mu and technology paying more tax; about a third of
    the firms in China name a fictional contact (张经理), with a landline of their city's area
    code or else a mobile number."""
    n = len(energy)
    known = rng.random(n) < 0.6
    invest = np.round(rng.lognormal(np.log(220 + 120 * energy), 0.35), 1)
    tax = np.round(rng.lognormal(np.log(12 + 30 * tech), 0.45), 1)
    codes = region.combine_chunks()
    domestic = np.asarray(pc.fill_null(pc.equal(pc.utf8_length(codes), 6), False), dtype=bool)
    has_contact = pa.array(domestic & (rng.random(n) < 0.35))
    surname = pa.array(list(_SURNAMES)).take(pa.array(rng.integers(0, len(_SURNAMES), n)))
    title = pa.array(_TITLES).take(pa.array(rng.integers(0, len(_TITLES), n)))
    number = pc.cast(pa.array(rng.integers(0, 10_000_000, n)), pa.string())
    mobile = pc.cast(pa.array(rng.integers(130, 200, n)), pa.string())
    area = pa.array(list(_AREA_CODES.values())).take(
        pc.index_in(codes, value_set=pa.array(list(_AREA_CODES)))
    )
    landline = pc.binary_join_element_wise(area, pc.utf8_lpad(number, 7, "0"), "-8")
    none = pa.scalar(None, pa.string())
    contact = pc.if_else(has_contact, pc.binary_join_element_wise(surname, title, ""), none)
    phone = pc.if_else(
        has_contact,
        pc.if_else(pc.is_valid(area), landline,
                   pc.binary_join_element_wise(mobile, pc.utf8_lpad(number, 8, "0"), "")),
        none,
    )  # fmt: skip
    return {
        "investment_intensity": pa.array(np.where(known, invest, np.nan), pa.float64(),
                                         from_pandas=True),
        "tax_per_mu": pa.array(np.where(known, tax, np.nan), pa.float64(), from_pandas=True),
        "contact": contact,
        "phone": phone,
    }  # fmt: skip


def _investments(
    rng: np.random.Generator, n: int, revenue: npt.NDArray[np.float64],
    region: npt.NDArray[np.object_], ids: list[str],
) -> pa.Table:  # fmt: skip
    """Group structures: a few firms are held by a larger firm of the same province."""
    investee = np.flatnonzero(rng.random(n) < 0.03)
    province = np.array([r[:2] for r in region.tolist()])
    by_province: dict[str, npt.NDArray[np.int64]] = {}
    for p in np.unique(province):
        members = np.flatnonzero(province == p)
        by_province[str(p)] = members[np.argsort(-np.nan_to_num(revenue[members]), kind="stable")]
    investor = np.full(len(investee), -1, dtype=np.int64)
    for i, firm in enumerate(investee.tolist()):
        pool = by_province[str(province[firm])][:5]
        pool = pool[pool != firm]
        if len(pool):
            investor[i] = pool[rng.integers(0, len(pool))]
    ok = investor >= 0
    id_arr = np.asarray(ids, dtype=object)
    pairs = np.unique(np.stack([investor[ok], investee[ok]], axis=1), axis=0)
    return pa.table(
        {
            "investor": pa.array(id_arr[pairs[:, 0]] if len(pairs) else [], pa.string()),
            "investee": pa.array(id_arr[pairs[:, 1]] if len(pairs) else [], pa.string()),
            "share": pa.array(np.round(rng.uniform(0.3, 1.0, len(pairs)), 2), pa.float64()),
        }
    )


#: Teams of the demo city's project pipeline: name, role.
DEMO_TEAMS = (
    ("新能源汽车产业链专班", "task_force"),
    ("长三角驻外招商小分队", "off_site_team"),
    ("高新区街道", "sub_district"),
    ("星澜城投", "state_platform"),
)
# (segment, stages reached with day offsets from signing, team index, lead source)
_PIPELINE: tuple[tuple[str, tuple[tuple[str, int], ...], int, str | None], ...] = (
    ("nev.battery_cell", (("lead", -200), ("visit", -150), ("negotiation", -90), ("signed", 0),
                          ("registered", 30), ("construction_started", 90), ("completed", 420),
                          ("in_production", 480), ("capacity_reached", 700)), 0, None),
    ("nev.body", (("signed", 0), ("construction_started", 60), ("completed", 300),
                  ("in_production", 360)), 0, "市科技局"),
    ("nev.thermal", (("visit", -60), ("signed", 0), ("construction_started", 120),
                     ("completed", 400)), 1, None),
    ("nev.cathode", (("lead", -120), ("visit", -90), ("signed", 0),
                     ("construction_started", 150)), 0, "市科技局"),
    ("nev.electrolyte", (("visit", -40), ("signed", 0)), 1, None),
    ("nev.separator", (("lead", -30), ("visit", -10), ("negotiation", 0)), 1, "市商务局"),
    ("nev.auto_chip", (("lead", -60), ("visit", -20)), 2, "市科技局"),
    ("nev.power_semi", (("visit", -90), ("signed", 0)), 0, None),
    ("nev.motor", (("signed", 0), ("construction_started", 45), ("completed", 330),
                   ("in_production", 400)), 3, None),
    ("nev.sensor", (("lead", -10),), 2, "市商务局"),
    ("nev.copper_foil", (("signed", 0), ("construction_started", 200)), 3, None),
    ("nev.interior", (("signed", 0), ("construction_started", 30), ("completed", 200),
                      ("in_production", 260), ("capacity_reached", 500)), 2, None),
)  # fmt: skip


def demo_projects(data: DemoData, signed_on: dt.date = dt.date(2024, 9, 1)) -> list[Project]:
    """A plausible, deterministic pipeline of projects for the demo city: outside firms of
    several segments at every stage, owned by the demo city's teams. None of them is yet in
    production in a missing segment, so landing one changes the gap table."""
    firms = data.batch.enterprises
    mem = data.batch.memberships
    ids = firms["id"].to_pylist()
    region = dict(zip(ids, firms["region"].to_pylist(), strict=True))
    revenue = dict(zip(ids, firms["revenue"].to_pylist(), strict=True))
    by_segment: dict[str, list[str]] = {}
    for firm, seg in zip(mem["enterprise"].to_pylist(), mem["segment"].to_pylist(), strict=True):
        if not str(region[firm]).startswith("3499"):
            by_segment.setdefault(seg, []).append(firm)
    projects = []
    for k, (segment, stages, team, source) in enumerate(_PIPELINE, start=1):
        pool = sorted(by_segment.get(segment, []), key=lambda f: (-(revenue[f] or 0.0), f))
        if not pool:
            continue
        firm = pool[(k * 7) % len(pool)]
        dates = {s: signed_on + dt.timedelta(days=d + 11 * k) for s, d in stages}
        agreed = float(round(5000 + 2500 * k, 0))
        started = dates.get(Stage.CONSTRUCTION_STARTED.value)
        funds = (
            (
                FundArrival(
                    date=started + dt.timedelta(days=30), amount=round(agreed * 0.1 * k % agreed, 0)
                ),
            )
            if started and k % 3
            else ()
        )
        projects.append(
            Project(
                id=f"XL-{2024 + k // 6}-{k:03d}",
                enterprise=firm,
                name=f"{segment.split('.')[1]} 项目 {k}",
                home_region=DEMO_DISTRICTS[k % 3].code,
                chain="nev",
                segment=segment,
                team=DEMO_TEAMS[team][0],
                team_role=DEMO_TEAMS[team][1],
                lead_source=source,
                lead_response_days=float(3 + (k * 5) % 20) if source else None,
                visits=(k * 3) % 5,
                site_inspections=k % 2,
                agreed_investment=agreed,
                funds=funds,
                stages=dates,
                follow_ups=(
                    FollowUp(
                        date=dates["in_production"] + dt.timedelta(days=90),
                        satisfaction=4 + k % 2,
                        reinvestment=1000.0 * (k % 2),
                    ),
                )
                if "in_production" in dates
                else (),
            )
        )
    return projects
