"""Prometheus metrics, exposed at ``/metrics``."""

from __future__ import annotations

from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.routing import public

__all__ = ["metrics"]


@get("/metrics", **public(), include_in_schema=False, sync_to_thread=False)
def metrics() -> Response[bytes]:
    """Process metrics for scraping."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
