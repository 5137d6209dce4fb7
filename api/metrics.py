"""Prometheus metrics, exposed at ``/metrics``.

Besides the request metrics (``api.observability``), the SLA slice reports response times
per shop and channel (observed when a wait is fulfilled, after its transaction commits),
breaches, and each shop's queue depth (waiting conversations, refreshed by the breach
worker).

Who may scrape is configured (``api.settings``): ``SHOPDESK_METRICS_TOKEN`` makes scrapers
send ``Authorization: Bearer <token>``; ``SHOPDESK_METRICS_LOOPBACK_ONLY`` admits only the
local host. Neither set (the default, for local development), anyone who reaches the port
may scrape: set one in production.
"""

from __future__ import annotations

import hmac

from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from api.errors import ApiError
from api.routing import public

__all__ = ["count_breach", "metrics", "observe_response", "set_queue_depths"]

_BUCKETS = (15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600)

SLA_RESPONSE_SECONDS = Histogram(
    "shopdesk_sla_response_seconds",
    "Measured waits (calendar seconds) by shop, channel and metric (frt, nrt, resolution).",
    ["shop_id", "channel", "metric"], buckets=_BUCKETS)
SLA_BREACHES = Counter("shopdesk_sla_breaches_total", "Waits that passed their deadline.",
                       ["shop_id", "channel", "metric"])
SLA_QUEUE_DEPTH = Gauge("shopdesk_sla_queue_depth",
                        "Conversations waiting for a reply (a running FRT or NRT clock).",
                        ["shop_id", "channel"])
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def observe_response(shop_id: str, channel: str, metric: str, seconds: float) -> None:
    SLA_RESPONSE_SECONDS.labels(shop_id, channel, metric).observe(seconds)


def count_breach(shop_id: str, channel: str, metric: str) -> None:
    SLA_BREACHES.labels(shop_id, channel, metric).inc()


def set_queue_depths(rows: list[tuple[str, str, int]]) -> None:
    """Replace every queue-depth sample (a shop whose queue emptied drops to no sample)."""
    SLA_QUEUE_DEPTH.clear()
    for shop_id, channel, waiting in rows:
        SLA_QUEUE_DEPTH.labels(shop_id, channel).set(waiting)


def _check_access(request: Request) -> None:
    settings = request.app.state.settings
    if settings.metrics_loopback_only:
        host = request.client.host if request.client else ""
        if host not in _LOOPBACK:
            raise ApiError(403, "metrics.not_local", "Metrics are served to the local host only.")
    token = settings.metrics_token
    if token:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            raise ApiError(401, "metrics.unauthorized", "A valid metrics token is required.")


@get("/metrics", **public(), include_in_schema=False, sync_to_thread=False)
def metrics(request: Request) -> Response[bytes]:
    """Process metrics for scraping (protected as configured, see the module's docstring)."""
    _check_access(request)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
