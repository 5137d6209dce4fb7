"""The users slice's refusals that a database constraint can also raise."""

from __future__ import annotations

from api.errors import ApiError, register_constraint_codes

__all__ = ["CONSTRAINT_CODES", "email_taken", "phone_taken"]

_EMAIL_TAKEN = ("user.email_taken", "A user with this email already exists.")
_PHONE_TAKEN = ("user.phone_taken", "A user with this phone number already exists.")

# The service checks first; two writers racing for one address meet the constraint instead.
CONSTRAINT_CODES = {"uq_users_email": _EMAIL_TAKEN, "uq_users_phone": _PHONE_TAKEN}
register_constraint_codes(CONSTRAINT_CODES)


def email_taken(email: str) -> ApiError:
    return ApiError.conflict(*_EMAIL_TAKEN, email=email)


def phone_taken() -> ApiError:
    return ApiError.conflict(*_PHONE_TAKEN)
