"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

An 18-character code: registration authority (1), entity type (1), the registering division's
6-digit code, the 9-character organisation code, and a check character. The alphabet leaves out
I, O, Z, S and V. The check character makes the weighted sum divisible by 31.

Example:
    >>> credit_code_check_char("91350100M000100Y4")
    '3'
    >>> check_credit_code("91350100m000100y43")
    '91350100M000100Y43'
"""

from __future__ import annotations

__all__ = ["ALPHABET", "check_credit_code", "credit_code_check_char", "is_credit_code"]

#: The 31 characters a credit code may use, in the order that gives their values 0-30.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(body: str) -> str:
    """The 18th character for a 17-character body (raises ``ValueError`` on a bad character)."""
    if len(body) != 17:
        raise ValueError(f"a credit code body has 17 characters, not {len(body)}")
    try:
        total = sum(_VALUE[ch] * w for ch, w in zip(body, _WEIGHTS, strict=True))
    except KeyError as err:
        raise ValueError(f"character {err.args[0]!r} cannot appear in a credit code") from None
    return ALPHABET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str:
    """Return the code upper-cased and stripped, or raise ``ValueError`` saying what is wrong."""
    value = code.strip().upper()
    if len(value) != 18:
        raise ValueError(
            f"{code!r} is not a unified social credit code: it has {len(value)} characters, not 18"
        )
    bad = sorted({ch for ch in value if ch not in _VALUE})
    if bad:
        raise ValueError(
            f"{code!r} is not a unified social credit code: {', '.join(map(repr, bad))}"
            " cannot appear in one (I, O, Z, S, V and punctuation are not used)"
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise ValueError(
            f"{code!r} is not a valid unified social credit code: its check character is"
            f" {value[17]!r} but should be {expected!r} (a typing error?)"
        )
    return value


def is_credit_code(code: str) -> bool:
    """Whether ``code`` is a valid unified social credit code."""
    try:
        check_credit_code(code)
    except ValueError:
        return False
    return True
