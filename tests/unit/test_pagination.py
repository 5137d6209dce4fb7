"""Cursors: opaque, round-trip their sort key, and refuse anything else with a 400."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.errors import ApiError
from api.pagination import decode_cursor, encode_cursor, invalid_cursor


@given(st.lists(st.one_of(st.text(), st.integers(), st.booleans(), st.none()), min_size=1,
                max_size=3))
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
