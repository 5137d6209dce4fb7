"""Cursors: opaque, round-trip their sort key, and refuse anything else with a 400."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.errors import ApiError
from api.pagination import decode_cursor, encode_cursor, invalid_cursor

# Integers within 64 bits: a sort key is a column value; anything larger is forged. Text
# without NUL for the same reason: PostgreSQL text cannot hold one, so no key carries it.
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
TEXT = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@given(st.lists(st.one_of(TEXT, INT64, st.booleans(), st.none()), min_size=1, max_size=3))
def test_cursor_round_trips_its_key(key: list) -> None:  # type: ignore[type-arg]
    cursor = encode_cursor(key)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor, len(key)) == key


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor(None, 1) is None


@pytest.mark.parametrize("cursor", ["%%%", "", "bm90LWpzb24", "e30", encode_cursor(["a", "b"])])
def test_bad_cursor_is_400_invalid_cursor(cursor: str) -> None:
    with pytest.raises(ApiError) as refused:
        decode_cursor(cursor, 1)
    assert refused.value.status == 400 and refused.value.code == "pagination.invalid_cursor"


@given(st.text(max_size=40))
def test_any_text_either_decodes_or_is_refused_cleanly(cursor: str) -> None:
    try:
        decode_cursor(cursor, 1)
    except ApiError as refused:
        assert refused.code == "pagination.invalid_cursor"


def test_every_invalid_cursor_refusal_is_the_same_error() -> None:
    refused = invalid_cursor()
    assert (refused.status, refused.code, refused.message) == (
        400, "pagination.invalid_cursor", "The cursor is not valid.")
    with pytest.raises(ApiError) as decoded:
        decode_cursor("%%%", 1)
    assert (decoded.value.status, decoded.value.code, decoded.value.message) == (
        refused.status, refused.code, refused.message)


def _forge(raw: str) -> str:
    """A cursor built by hand, as a client could."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _refused(cursor: str, kinds) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiError) as refused:
        decode_cursor(cursor, kinds)
    assert (refused.value.status, refused.value.code) == (400, "pagination.invalid_cursor")


@pytest.mark.parametrize("raw", [
    "[9223372036854775808]", "[-9223372036854775809]", "[" + "9" * 40 + "]",
    "[" + "9" * 5000 + "]",  # past Python's own digit limit: a ValueError, not a 500
])
@pytest.mark.parametrize("kinds", [1, (int,)], ids=["arity", "typed"])
def test_an_integer_past_64_bits_is_refused(raw: str, kinds) -> None:  # type: ignore[no-untyped-def]
    _refused(_forge(raw), kinds)


def test_the_64_bit_bounds_themselves_are_accepted() -> None:
    for value in (2**63 - 1, -(2**63)):
        assert decode_cursor(encode_cursor([value]), (int,)) == [value]


@pytest.mark.parametrize("depth", [2, 50, 700, 100_000])
def test_nesting_is_refused_however_deep(depth: int) -> None:
    # Sort keys are flat. The deepest fit under the length cap; deeper ones are refused
    # before the JSON decoder (and its recursion) ever sees them: a 400, never a 500.
    _refused(_forge("[" * depth + "]" * depth), 1)


@pytest.mark.parametrize(("key", "kinds"), [
    (["1"], (int,)),  # digits in a string are not an integer
    ([True], (int,)),  # bool is an int to isinstance
    ([1.5], (int,)),
    ([None], (int,)),
    ([1], (str,)),
    (["a\x00b"], (str,)),  # NUL never reaches PostgreSQL
    ([{"a": 1}], (str,)),
    (["2026-12-01T10:00:00"], (datetime,)),  # naive: no time zone
    (["yesterday"], (datetime,)),
    ([20261201], (datetime,)),
    (["not-a-uuid"], (uuid.UUID,)),
    ([123], (uuid.UUID,)),
    ([{"x": []}], 1),
    ([[1]], 1),
])
def test_wrong_types_per_position_are_refused(key: list, kinds) -> None:  # type: ignore[no-untyped-def,type-arg]
    _refused(_forge(json.dumps(key)), kinds)


@pytest.mark.parametrize("raw", ["[NaN]", "[Infinity]", "[-Infinity]", "[1e999]"])
def test_non_finite_numbers_are_refused(raw: str) -> None:
    _refused(_forge(raw), 1)


def test_an_overlong_cursor_is_refused_before_decoding() -> None:
    _refused(encode_cursor(["x" * 4000]), 1)


def test_typed_positions_come_back_as_their_types() -> None:
    moment, ident = datetime(2026, 12, 1, 10, 0, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor([moment, ident])
    assert decode_cursor(cursor, (datetime, uuid.UUID)) == [moment, ident]
    assert decode_cursor(encode_cursor(["slug", 7]), (str, int)) == ["slug", 7]


def test_a_cursor_time_outside_the_utc_calendar_is_refused() -> None:
    import uuid
    from datetime import datetime

    import pytest

    from api.errors import ApiError
    from api.pagination import decode_cursor, encode_cursor

    cursor = encode_cursor(["0001-01-01T00:00:00+01:00", str(uuid.uuid4())])
    with pytest.raises(ApiError) as refused:
        decode_cursor(cursor, (datetime, uuid.UUID))
    assert refused.value.code == "pagination.invalid_cursor"


def test_an_untyped_cursor_with_a_nul_character_is_refused() -> None:
    import pytest

    from api.errors import ApiError
    from api.pagination import decode_cursor, encode_cursor

    with pytest.raises(ApiError) as refused:
        decode_cursor(encode_cursor(["a\x00b", 1]), 2)
    assert refused.value.code == "pagination.invalid_cursor"
