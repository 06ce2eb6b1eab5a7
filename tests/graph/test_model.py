"""The domain model accepts what a user would call valid and says clearly what is not."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chainscout.graph import (
    Chain,
    Enterprise,
    Feeds,
    Segment,
    Supplies,
    check_credit_code,
    check_region_code,
    is_credit_code,
    is_within,
    region_level,
)
from chainscout.graph.codes import ALPHABET, credit_code_check_char
from chainscout.graph.tables import bad_credit_codes

VALID_CODE = "91350100M000100Y43"


class TestCreditCode:
    def test_a_published_example_is_valid(self) -> None:
        assert check_credit_code(VALID_CODE) == VALID_CODE
        assert check_credit_code(" 91350100m000100y43 ") == VALID_CODE

    @pytest.mark.parametrize(
        ("code", "message"),
        [
            ("91350100M000100Y4", "has 17 characters, not 18"),
            ("91350100M000100Y44", "check character is '4' but should be '3'"),
            ("91350100M0001O0Y43", "'O' cannot appear"),
            ("91350100M000100Y4-", "'-' cannot appear"),
        ],
    )
    def test_errors_say_what_is_wrong(self, code: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            check_credit_code(code)

    @given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
    def test_the_check_character_completes_any_body(self, body: str) -> None:
        assert is_credit_code(body + credit_code_check_char(body))

    @given(
        st.text(alphabet=ALPHABET, min_size=17, max_size=17),
        st.integers(min_value=0, max_value=17),
        st.sampled_from(ALPHABET),
    )
    def test_any_single_typing_error_is_caught(self, body: str, pos: int, char: str) -> None:
        code = body + credit_code_check_char(body)
        typo = code[:pos] + char + code[pos + 1 :]
        assert is_credit_code(typo) == (typo == code)

    @given(
        st.lists(
            st.one_of(
                st.none(),
                st.text(alphabet=ALPHABET, min_size=17, max_size=17).map(
                    lambda b: b + credit_code_check_char(b)
                ),
                st.text(alphabet=ALPHABET + "OI-", min_size=18, max_size=18),
                st.text(alphabet=ALPHABET + "统一", max_size=20),
            ),
            max_size=12,
        ),
        st.integers(min_value=0, max_value=3),
    )
    def test_the_column_check_agrees_with_the_one_code_check(
        self, codes: list[str | None], skip: int
    ) -> None:
        # sliced columns too: a column's bytes may start past its buffer's first byte
        column = pa.array(["91350100M000100Y43"] * skip + codes, pa.string()).slice(skip)
        expected = [c is not None and not is_credit_code(c) for c in codes]
        assert bad_credit_codes(column).tolist() == expected


class TestRegions:
    @pytest.mark.parametrize(
        ("code", "level"),
        [("440000", "province"), ("440300", "city"), ("440305", "county"), ("de", "country")],
    )
    def test_valid_codes_and_their_level(self, code: str, level: str) -> None:
        assert region_level(check_region_code(code)) == level

    @pytest.mark.parametrize(
        ("code", "message"),
        [
            ("990000", "no province has code 99"),
            ("440005", "a county needs a city"),
            ("4403", "not a region code"),
            ("XX", "not an ISO 3166-1 alpha-2 country code"),
            ("深圳", "not a region code"),
        ],
    )
    def test_invalid_codes_are_explained(self, code: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            check_region_code(code)

    @pytest.mark.parametrize(
        ("code", "home", "inside"),
        [
            ("440305", "440305", True),
            ("440305", "440300", True),
            ("440305", "440000", True),
            ("440305", "CN", True),
            ("440105", "440300", False),
            ("320500", "440000", False),
            ("DE", "CN", False),
            ("DE", "DE", True),
            ("440300", "440305", False),
            (None, "440000", False),
        ],
    )
    def test_what_lies_inside_a_home_region(
        self, code: str | None, home: str, inside: bool
    ) -> None:
        assert is_within(code, home) is inside


class TestEnterprise:
    def test_credit_code_is_taken_from_a_valid_id(self) -> None:
        assert Enterprise(id=VALID_CODE, name="示例").credit_code == VALID_CODE
        assert Enterprise(id="stock:600000", name="示例").credit_code is None

    @pytest.mark.parametrize(
        ("fields", "where", "message"),
        [
            ({"revenue": -1}, "revenue", "greater than or equal to 0"),
            ({"rd_share": 1.5}, "rd_share", "less than or equal to 1"),
            ({"region": "990000"}, "region", "no province has code 99"),
            ({"credit_code": "91350100M000100Y44"}, "credit_code", "should be '3'"),
            ({"env_rating": "E"}, "env_rating", "not one of A, B, C, D"),
            ({"name": "  "}, "name", "at least 1 character"),
            ({"employees": -3}, "employees", "greater than or equal to 0"),
            ({"investment_intensity": -1}, "investment_intensity", "greater than or equal to 0"),
            ({"investment_intensity": float("inf")}, "investment_intensity", "finite number"),
            ({"tax_per_mu": -0.5}, "tax_per_mu", "greater than or equal to 0"),
            ({"tax_per_mu": float("nan")}, "tax_per_mu", "finite number"),
            ({"tax_per_mu": "many"}, "tax_per_mu", "valid number"),
        ],
    )
    def test_bad_fields_are_named(
        self, fields: dict[str, object], where: str, message: str
    ) -> None:
        with pytest.raises(ValidationError) as info:
            Enterprise.model_validate({"id": "x", "name": "示例", **fields})
        error = info.value.errors()[0]
        assert error["loc"][0] == where
        assert message in error["msg"]

    def test_standard_land_indicators_and_contacts_are_optional(self) -> None:
        bare = Enterprise(id="x", name="示例")
        assert (bare.investment_intensity, bare.tax_per_mu, bare.contact, bare.phone) == (
            None, None, None, None
        )  # fmt: skip
        e = Enterprise(id="x", name="示例", investment_intensity=0, tax_per_mu=35.5,
                       contact=" 张经理 ", phone="0571-88001234")  # fmt: skip
        assert (e.investment_intensity, e.tax_per_mu, e.contact, e.phone) == (
            0.0, 35.5, "张经理", "0571-88001234"
        )  # fmt: skip

    @pytest.mark.parametrize("blank", ["", "   "])
    def test_a_blank_contact_or_phone_is_unknown(self, blank: str) -> None:
        e = Enterprise(id="x", name="示例", contact=blank, phone=blank)
        assert (e.contact, e.phone) == (None, None)

    def test_tags_and_aliases_are_kept_once_in_order(self) -> None:
        e = Enterprise(
            id="x", name="示例", tags=("专精特新", " 专精特新", "上市公司"), aliases=("甲", "")
        )
        assert e.tags == ("专精特新", "上市公司")
        assert e.aliases == ("甲",)
        assert Enterprise(id="x", name="n", env_rating="b").env_rating == "B"


class TestLinks:
    def test_a_firm_cannot_supply_itself(self) -> None:
        with pytest.raises(ValidationError, match="cannot supply itself"):
            Supplies(supplier="a", customer="a")

    def test_snapshot_dates_are_sorted_and_distinct(self) -> None:
        s = Supplies(supplier="a", customer="b", seen=("2021-06-30", "2020-12-31", "2021-06-30"))
        assert s.seen == (dt.date(2020, 12, 31), dt.date(2021, 6, 30))

    def test_share_must_be_a_fraction(self) -> None:
        with pytest.raises(ValidationError, match="less than or equal to 1"):
            Supplies(supplier="a", customer="b", share=30)


def _segments(*ids: str) -> tuple[Segment, ...]:
    return tuple(Segment(id=i, chain="c", name=i) for i in ids)


class TestChain:
    def test_segments_are_ordered_upstream_first(self) -> None:
        chain = Chain(
            id="c",
            name="链",
            segments=_segments("pack", "ore", "cell", "salt"),
            feeds=(
                Feeds(upstream="ore", downstream="salt"),
                Feeds(upstream="salt", downstream="cell"),
                Feeds(upstream="cell", downstream="pack"),
            ),
        )
        assert [s.id for s in chain.ordered_segments()] == ["ore", "salt", "cell", "pack"]

    @pytest.mark.parametrize(
        ("segments", "feeds", "message"),
        [
            (("a", "b", "a"), (), "lists segment\\(s\\) twice: a"),
            (("a", "b"), (("a", "x"),), "FEEDS edge\\(s\\) to unknown segments: a -> x"),
            (("a", "b", "c"), (("a", "b"), ("b", "c"), ("c", "a")), "cycle a -> b -> c -> a"),
        ],
    )
    def test_bad_templates_are_rejected_naming_the_problem(
        self, segments: tuple[str, ...], feeds: tuple[tuple[str, str], ...], message: str
    ) -> None:
        with pytest.raises(ValidationError, match=message):
            Chain(
                id="c",
                name="链",
                segments=_segments(*segments),
                feeds=tuple(Feeds(upstream=a, downstream=b) for a, b in feeds),
            )

    def test_a_segment_cannot_feed_itself(self) -> None:
        with pytest.raises(ValidationError, match="cannot feed itself"):
            Feeds(upstream="a", downstream="a")
