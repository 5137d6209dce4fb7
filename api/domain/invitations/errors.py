"""The invitations slice's refusals, one code each."""

from __future__ import annotations

from api.errors import ApiError

__all__ = [
    "already_member",
    "expired",
    "founder_exists",
    "founder_not_invitable",
    "not_found",
    "not_pending",
    "password_not_expected",
    "password_required",
    "revoked",
    "used",
]


def not_found() -> ApiError:
    # The same answer for an unknown id, a wrong secret and a malformed token: a token
    # is either exactly right or it does not exist.
    return ApiError(404, "invitation.not_found", "No such invitation.")


def expired() -> ApiError:
    return ApiError(410, "invitation.expired", "This invitation has expired; ask for a new one.")


def revoked() -> ApiError:
    return ApiError(410, "invitation.revoked", "This invitation was withdrawn.")


def used() -> ApiError:
    return ApiError.conflict("invitation.already_used", "This invitation was already accepted.")


def not_pending(status: str) -> ApiError:
    return ApiError.conflict("invitation.not_pending", "Only a pending invitation can change.",
                             status=status)


def already_member() -> ApiError:
    return ApiError.conflict("invitation.already_member",
                             "This address already belongs to a member of the shop.")


def founder_not_invitable() -> ApiError:
    return ApiError.unprocessable("member.founder_not_grantable",
                                  "The founder is named at onboarding and cannot be granted.")


def founder_exists() -> ApiError:
    return ApiError.conflict("invitation.founder_exists",
                             "This shop already has (or had) its founder.")


def password_required() -> ApiError:
    return ApiError.unprocessable("invitation.password_required",
                                  "Choose a password to create your account.")


def password_not_expected() -> ApiError:
    return ApiError.unprocessable(
        "invitation.password_not_expected",
        "You already have an account: accept without a password and sign in with yours.")
