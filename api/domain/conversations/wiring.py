"""What the workspace needs wired at application start (called once from ``api.app``)."""

from __future__ import annotations

from api.domain.conversations import assignment, breach
from api.domain.conversations.assignment import on_presence_changed
from api.domain.presence.signals import PresenceChanged
from api.signals import subscribe

__all__ = ["register"]


def register(breach_source: breach.BreachSource | None = None,
             reader_breach_source: breach.ReaderBreachSource | None = None,
             live_ttl_seconds: float | None = None) -> None:
    """Hand members coming online waiting conversations; take the SLA's breach figures."""
    subscribe(PresenceChanged, on_presence_changed)
    if live_ttl_seconds is not None:
        assignment.configure(live_ttl_seconds=live_ttl_seconds)
    if breach_source is not None:
        breach.provide(breach_source, reader_breach_source)
