"""Presets: target-region groups and factor weights that task forces start from.

Region presets are sets of GB/T 2260 prefixes (province ``11``, city ``4403``) or ISO codes.
Users add their own as a list of codes: ``["320500", "330100"]``.

>>> in_region_set("440305", REGION_PRESETS["粤港澳大湾区"])
True
>>> in_region_set("440500", REGION_PRESETS["粤港澳大湾区"])  # 汕头: Guangdong, not the bay
False
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from chainscout.graph.regions import check_region_code, region_prefix

__all__ = [
    "REGION_PRESETS",
    "REGION_PRESET_ALIASES",
    "WEIGHT_PRESETS",
    "in_region_set",
    "region_set",
    "region_set_mask",
]

#: Target-region groups as division-code prefixes (and ISO codes).
REGION_PRESETS: dict[str, tuple[str, ...]] = {
    # Beijing-Tianjin-Hebei
    "京津冀": ("11", "12", "13"),
    # Yangtze River Delta: Shanghai, Jiangsu, Zhejiang, Anhui
    "长三角": ("31", "32", "33", "34"),
    # Greater Bay Area: nine Guangdong cities, Hong Kong, Macao
    "粤港澳大湾区": (
        "4401",
        "4403",
        "4404",
        "4406",
        "4407",
        "4412",
        "4413",
        "4419",
        "4420",
        "81",
        "82",
    ),
}
#: English names accepted for the presets.
REGION_PRESET_ALIASES = {"jjj": "京津冀", "yrd": "长三角", "gba": "粤港澳大湾区"}

#: Factor weights (before normalisation) for the usual kinds of campaign.
WEIGHT_PRESETS: dict[str, dict[str, float]] = {
    # a balanced start
    "balanced": {"gap": 0.30, "pull": 0.25, "demand": 0.15, "quality": 0.15, "related": 0.10,
                 "region": 0.05},
    # 补链: fill missing segments first
    "fill": {"gap": 0.45, "pull": 0.20, "demand": 0.15, "quality": 0.10, "related": 0.05,
             "region": 0.05},
    # 强链: strengthen what local leaders already buy
    "strengthen": {"gap": 0.15, "pull": 0.35, "demand": 0.25, "quality": 0.15, "related": 0.05,
                   "region": 0.05},
    # 延链: extend to adjacent segments the region is close to
    "extend": {"gap": 0.25, "pull": 0.15, "demand": 0.10, "quality": 0.15, "related": 0.30,
               "region": 0.05},
}  # fmt: skip


def region_set(spec: str | Iterable[str]) -> tuple[str, ...]:
    """Prefixes for a preset name (Chinese or English alias) or a list of region codes."""
    if isinstance(spec, str):
        name = REGION_PRESET_ALIASES.get(spec.lower(), spec)
        if name in REGION_PRESETS:
            return REGION_PRESETS[name]
        codes = [c for c in spec.replace(";", ",").split(",") if c.strip()]
    else:
        codes = list(spec)
    out = []
    for code in codes:
        value = check_region_code(code)
        out.append(region_prefix(value) if len(value) == 6 else value)
    return tuple(out)


def in_region_set(code: str | None, prefixes: Iterable[str]) -> bool:
    """Whether one region code falls in a region set."""
    return bool(code) and any(str(code).startswith(p) for p in prefixes if p)


def region_set_mask(
    regions: npt.NDArray[np.object_], prefixes: Iterable[str]
) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`in_region_set` over an array of region codes."""
    codes = np.asarray(regions, dtype=object).astype(str)
    out = np.zeros(len(codes), dtype=bool)
    for p in prefixes:
        if p:
            out |= np.char.startswith(codes, p)
    return out
