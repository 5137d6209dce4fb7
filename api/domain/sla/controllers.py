"""SLA routes: a shop's policy, calendar, reports and live view; the firm's report and ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar import Controller, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.sla import errors, live, reports, services
from api.domain.sla.enums import Basis, GroupBy, Metric
from api.domain.sla.schemas import (
    CalendarRead,
    CalendarWrite,
    LiveItem,
    PolicyRead,
    PolicyWrite,
    RankingItem,
    ReportRead,
)
from api.guard import ShopScope
from api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
)
from api.routing import requires

__all__ = ["FirmSlaController", "SlaController", "provide_report_query"]

MAX_RANGE_DAYS = 366
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(3000, 1, 1, tzinfo=UTC)
CSV = "text/csv; charset=utf-8"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def provide_report_query(
    since: Annotated[datetime | None, QueryParameter(
        description="ISO 8601, inclusive; default 30 days before `until`")] = None,
    until: Annotated[datetime | None, QueryParameter(
        description="ISO 8601, exclusive; default now")] = None,
    group_by: Annotated[GroupBy, QueryParameter(
        description="shop, agent, channel, day or hour (shop's timezone)")] = GroupBy.SHOP,
    basis: Annotated[Basis, QueryParameter(
        description="count calendar or business seconds")] = Basis.CALENDAR,
    metric: Annotated[Metric | None, QueryParameter(description="one metric; default all")
                      ] = None,
) -> reports.ReportQuery:
    """The report routes' query string: one declaration for the JSON and CSV forms."""
    end = _aware(until) if until else datetime.now(UTC)
    # Far outside any ledger, and where date arithmetic (and the driver) would overflow.
    for moment in (end, _aware(since) if since else None):
        if moment is not None and not _EARLIEST <= moment <= _LATEST:
            raise errors.range_out_of_bounds(_EARLIEST.isoformat(), _LATEST.isoformat())
    start = _aware(since) if since else end - timedelta(days=30)
    if end <= start:
        raise errors.empty_range()
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise errors.range_too_long(MAX_RANGE_DAYS)
    return reports.ReportQuery(start, end, group_by, basis,
                               (metric,) if metric else tuple(Metric))


_QUERY = {"report_query": Provide(provide_report_query, sync_to_thread=False)}


class SlaController(Controller):
    """A shop's response-time SLA: what it promises, and how it keeps the promise."""

    path = "/sla"
    tags = ["sla"]
    dependencies = _QUERY

    @get("/policy", **requires("sla:configure"))
    async def get_policy(self, shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope]) -> PolicyRead:
        """The current policy (version 0: none set, no targets)."""
        return await services.get_policy(shop_session, shop_scope.shop_id)

    @put("/policy", **requires("sla:configure"))
    async def set_policy(self, shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope], data: JSONBody[PolicyWrite],
                         audit_context: NamedDependency[AuditContext]) -> PolicyRead:
        """Set a new policy; clocks already running keep the targets they started with."""
        return await services.set_policy(shop_session, shop_scope.shop_id, data,
                                         shop_scope.user_id, audit_context)

    @get("/calendar", **requires("sla:configure"))
    async def get_calendar(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope]) -> CalendarRead:
        """The business-hours calendar (version 0: none set, always open)."""
        return await services.get_calendar(shop_session, shop_scope.shop_id)

    @put("/calendar", **requires("sla:configure"))
    async def set_calendar(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope], data: JSONBody[CalendarWrite],
                           audit_context: NamedDependency[AuditContext]) -> CalendarRead:
        """Set the timezone, intervals per weekday (overnight allowed) and holidays."""
        return await services.set_calendar(shop_session, shop_scope.shop_id, data,
                                           shop_scope.user_id, audit_context)

    @get("/report", **requires("analytics:read"))
    async def report(self, shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope],
                     report_query: NamedDependency[reports.ReportQuery]) -> ReportRead:
        """Count, mean, p50/p90/p95/p99, attainment and breaches per metric and group."""
        return await reports.shop_report(shop_session, shop_scope.shop_id, report_query)

    @get("/report.csv", **requires("analytics:read"), media_type=CSV)
    async def report_csv(self, shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope],
                         report_query: NamedDependency[reports.ReportQuery]) -> str:
        """The same report as CSV: metric,group,count,mean,p50,p90,p95,p99,attainment,breaches."""
        return reports.report_csv(
            await reports.shop_report(shop_session, shop_scope.shop_id, report_query))

    @get("/live", **requires("analytics:read"))
    async def live_view(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=400)] = None,
    ) -> Page[LiveItem]:
        """Waiting conversations, the least time left before breach first."""
        rows, next_cursor = await live.live_page(shop_session, shop_scope.shop_id,
                                                 limit=limit, cursor=cursor)
        return Page(items=[LiveItem(
            conversation_id=r.conversation_id, metric=Metric(r.metric), channel=r.channel,
            priority=r.priority, assignee_id=r.assignee_id, started_at=r.started_at,
            deadline_at=r.deadline_at, seconds_to_breach=r.left_s) for r in rows],
            next_cursor=next_cursor)


class FirmSlaController(Controller):
    """The firm's view: every shop's SLA figures, the firm's total and a ranking of shops."""

    path = "/sla"
    tags = ["sla"]
    dependencies = _QUERY

    @get("/report", **requires("analytics:firm"))
    async def firm_report(self, db_session: NamedDependency[AsyncSession],
                          report_query: NamedDependency[reports.ReportQuery]) -> ReportRead:
        """Per shop (group = shop id) and for the whole firm (group null)."""
        return await reports.firm_report(db_session, report_query)

    @get("/report.csv", **requires("analytics:firm"), media_type=CSV)
    async def firm_report_csv(self, db_session: NamedDependency[AsyncSession],
                              report_query: NamedDependency[reports.ReportQuery]) -> str:
        """The firm report as CSV (same columns as a shop's)."""
        return reports.report_csv(await reports.firm_report(db_session, report_query))

    @get("/ranking", **requires("analytics:firm"))
    async def ranking(self, db_session: NamedDependency[AsyncSession],
                      report_query: NamedDependency[reports.ReportQuery],
                      ranked_metric: Annotated[Metric, QueryParameter(
                          name="rank_by", description="the metric shops are ranked on")
                      ] = Metric.FRT,
                      limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                      cursor: Annotated[str | None, QueryParameter(max_length=100)] = None,
                      ) -> Page[RankingItem]:
        """Shops by attainment (best first), then p90 (fastest first)."""
        key = decode_cursor(cursor, 1)
        after = key[0] if key else 0
        if not isinstance(after, int) or after < 0:
            raise invalid_cursor()
        ranked = await reports.shop_ranking(db_session, report_query, ranked_metric)
        page = ranked[after:after + limit]
        more = after + limit < len(ranked)
        return Page(items=[RankingItem(rank=rank, shop_id=row.group or "", shop_name=name,
                                       figures=row) for rank, name, row in page],
                    next_cursor=encode_cursor([after + limit]) if more else None)

