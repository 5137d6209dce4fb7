"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from sqlalchemy import text

from api.routing import public

__all__ = ["HealthController"]


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/live", **public())
    async def live(self) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @get("/ready", **public())
    async def ready(self, state: State) -> dict[str, str]:
        """The process can reach its database and has loaded the policy."""
        try:
            async with state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise HTTPException(status_code=503, detail="database unavailable") from exc
        if state.authz.policy is None:
            raise HTTPException(status_code=503, detail="policy not loaded")
        return {"status": "ok", "policy_version": str(state.authz.version)}
