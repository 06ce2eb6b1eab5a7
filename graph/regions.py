"""Region codes: 6-digit Chinese division codes (GB/T 2260) and ISO 3166 country codes.

A home region may be a county (``440305``), a city (``440300``), a province (``440000``) or a
country (``CN``, ``DE``). An enterprise is *local* to a home region when its own region lies
inside it: ``440305`` is inside ``440300``, ``440000`` and ``CN``.

Example:
    >>> region_level("440300"), region_prefix("440300")
    ('city', '4403')
    >>> is_within("440305", "440000"), is_within("320500", "440000")
    (True, False)
    >>> is_within("440305", "CN"), is_within("DE", "CN")
    (True, False)
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

__all__ = [
    "PROVINCES",
    "RegionLevel",
    "check_region_code",
    "is_within",
    "province_of",
    "region_level",
    "region_parent",
    "region_prefix",
]

RegionLevel = Literal["country", "province", "city", "county"]

#: Province-level divisions of GB/T 2260: code (2 digits) -> (full name, short name).
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "北京"),
    "12": ("天津市", "天津"),
    "13": ("河北省", "河北"),
    "14": ("山西省", "山西"),
    "15": ("内蒙古自治区", "内蒙古"),
    "21": ("辽宁省", "辽宁"),
    "22": ("吉林省", "吉林"),
    "23": ("黑龙江省", "黑龙江"),
    "31": ("上海市", "上海"),
    "32": ("江苏省", "江苏"),
    "33": ("浙江省", "浙江"),
    "34": ("安徽省", "安徽"),
    "35": ("福建省", "福建"),
    "36": ("江西省", "江西"),
    "37": ("山东省", "山东"),
    "41": ("河南省", "河南"),
    "42": ("湖北省", "湖北"),
    "43": ("湖南省", "湖南"),
    "44": ("广东省", "广东"),
    "45": ("广西壮族自治区", "广西"),
    "46": ("海南省", "海南"),
    "50": ("重庆市", "重庆"),
    "51": ("四川省", "四川"),
    "52": ("贵州省", "贵州"),
    "53": ("云南省", "云南"),
    "54": ("西藏自治区", "西藏"),
    "61": ("陕西省", "陕西"),
    "62": ("甘肃省", "甘肃"),
    "63": ("青海省", "青海"),
    "64": ("宁夏回族自治区", "宁夏"),
    "65": ("新疆维吾尔自治区", "新疆"),
    "71": ("台湾省", "台湾"),
    "81": ("香港特别行政区", "香港"),
    "82": ("澳门特别行政区", "澳门"),
}

_DIVISION = re.compile(r"^\d{6}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries)


def check_region_code(code: str) -> str:
    """Return ``code`` normalised (stripped, upper-case), or raise ``ValueError`` saying why.

    >>> check_region_code(" cn ")
    'CN'
    >>> check_region_code("990000")
    Traceback (most recent call last):
    ...
    ValueError: '990000' is not a Chinese division code: no province has code 99 (GB/T 2260)
    """
    value = code.strip().upper()
    if _DIVISION.match(value):
        if value[:2] not in PROVINCES:
            raise ValueError(
                f"{value!r} is not a Chinese division code: no province has code {value[:2]}"
                " (GB/T 2260)"
            )
        if value[2:4] == "00" and value[4:] != "00":
            raise ValueError(
                f"{value!r} is not a division code: a county needs a city (digits 3-4)"
            )
        return value
    if _COUNTRY.match(value):
        if value not in _country_codes():
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return value
    raise ValueError(
        f"{code!r} is not a region code: use a 6-digit division code (e.g. 440300 for 深圳市)"
        " or an ISO 3166 country code (e.g. DE)"
    )


def region_level(code: str) -> RegionLevel:
    """The level of a valid region code."""
    if _COUNTRY.match(code):
        return "country"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def region_prefix(code: str) -> str:
    """The prefix that every division code inside ``code`` starts with ('' for China itself)."""
    level = region_level(code)
    if level == "country":
        return "" if code == "CN" else code
    return {"province": code[:2], "city": code[:4], "county": code}[level]


def region_parent(code: str) -> str | None:
    """The code of the region one level up (``CN`` above a province, None above a country)."""
    level = region_level(code)
    if level == "country":
        return None
    if level == "province":
        return "CN"
    if level == "city":
        return code[:2] + "0000"
    return code[:4] + "00"


def province_of(code: str) -> str | None:
    """The province code (``xx0000``) of a division code, None for a country code."""
    return None if _COUNTRY.match(code) else code[:2] + "0000"


def is_within(code: str | None, home: str) -> bool:
    """Whether region ``code`` lies inside the home region ``home`` (both valid codes)."""
    if not code:
        return False
    if _COUNTRY.match(home):
        if home == "CN":
            return code == "CN" or bool(_DIVISION.match(code))
        return code == home
    if not _DIVISION.match(code):
        return False
    return code.startswith(region_prefix(home))
