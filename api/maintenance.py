"""Housekeeping every process runs (one at a time, see ``api.periodic``): signed audit
checkpoints and the pruning of old sign-in attempts."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar

from api.domain.audit.checkpoints import take_checkpoints
from api.domain.auth.pruning import prune_login_attempts
from api.periodic import PeriodicJob

__all__ = ["PRUNE_EVERY_SECONDS", "maintenance_lifespan"]

PRUNE_EVERY_SECONDS = 3600.0


@asynccontextmanager
async def maintenance_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    settings, engine, signer = app.state.settings, app.state.engine, app.state.audit_signer
    # Attempts inside the sign-in window are what the limits count: never prune those.
    keep = max(settings.login_attempts_keep_seconds, settings.auth.login_window_seconds)
    jobs = [PeriodicJob(engine, "prune-login-attempts", PRUNE_EVERY_SECONDS,
                        lambda: prune_login_attempts(engine, keep))]
    if signer is not None:
        jobs.append(PeriodicJob(engine, "audit-checkpoints", settings.audit_checkpoint_seconds,
                                lambda: take_checkpoints(engine, signer)))
    for job in jobs:
        job.start()
    try:
        yield
    finally:
        for job in jobs:
            await job.stop()
