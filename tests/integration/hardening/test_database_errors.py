"""Which failures mean "the database is away" (503) and which stay bugs (logged 500)."""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from api.errors import is_database_unavailable


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_driver_and_pool_failures_are_unavailability() -> None:
    assert is_database_unavailable(PoolTimeoutError("QueuePool limit reached"))
    assert is_database_unavailable(asyncpg.ConnectionDoesNotExistError("closed"))
    assert is_database_unavailable(asyncpg.CannotConnectNowError("starting up"))
    shutdown = asyncpg.AdminShutdownError("terminating connection")
    assert is_database_unavailable(shutdown)  # sqlstate 57P01
    wrapped = RuntimeError("rollback failed")
    wrapped.__context__ = asyncpg.ConnectionDoesNotExistError("closed")
    assert is_database_unavailable(wrapped)


def test_a_handlers_own_errors_stay_bugs() -> None:
    assert not is_database_unavailable(_raised(FileNotFoundError("/tmp/report.csv")))
    assert not is_database_unavailable(_raised(TimeoutError()))
    assert not is_database_unavailable(ValueError("bad"))
    assert not is_database_unavailable(asyncpg.InterfaceError("another operation is in progress"))
