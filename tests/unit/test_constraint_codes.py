"""Each slice maps its own constraints to its refusals; ``api.errors`` only looks them up."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

import api.errors as errors
from api.domain.shops import errors as shop_errors
from api.domain.users import errors as user_errors


class _Cause(Exception):
    def __init__(self, constraint: str | None) -> None:
        super().__init__("duplicate key")
        self.constraint_name = constraint


def _integrity_error(constraint: str | None) -> IntegrityError:
    orig = Exception("wrapped")
    orig.__cause__ = _Cause(constraint)
    return IntegrityError("INSERT ...", {}, orig)


class _Request:
    scope: dict = {}  # a stand-in: error_response reads the request id from it


@pytest.mark.parametrize(("constraint", "code"), [
    ("uq_shops_slug", "shop.slug_taken"),
    ("uq_users_email", "user.email_taken"),
    ("uq_users_phone", "user.phone_taken"),
])
def test_a_slice_constraint_answers_with_the_slice_code(constraint: str, code: str) -> None:
    response = errors._integrity(_Request(), _integrity_error(constraint))  # type: ignore[arg-type]
    assert response.status_code == 409
    assert response.content["code"] == code
    assert response.content["details"] == {"constraint": constraint}


def test_an_unmapped_constraint_is_a_plain_conflict() -> None:
    response = errors._integrity(_Request(), _integrity_error("uq_nobody_claims_this"))  # type: ignore[arg-type]
    assert (response.status_code, response.content["code"]) == (409, "resource.conflict")


def test_the_service_refusal_and_the_constraint_refusal_are_the_same() -> None:
    for slice_errors, refusal in ((shop_errors, shop_errors.slug_taken("s")),
                                  (user_errors, user_errors.email_taken("a@b.co")),
                                  (user_errors, user_errors.phone_taken())):
        assert (refusal.code, refusal.message) in slice_errors.CONSTRAINT_CODES.values()


def test_a_constraint_claimed_twice_differently_is_a_programming_error() -> None:
    errors.register_constraint_codes({"uq_shops_slug": ("shop.slug_taken",
                                                        "A shop with this slug already exists.")})
    with pytest.raises(ValueError, match="uq_shops_slug"):
        errors.register_constraint_codes({"uq_shops_slug": ("other.code", "Other.")})
