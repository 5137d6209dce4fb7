"""SLA reports: sums over the ledger, computed in PostgreSQL (sla.md, "Reports").

Per metric and group over ``[since, until)``: the count of fulfilled waits, their mean and
percentiles (``percentile_cont``), attainment (the share of fulfilled waits with a target
that were within it) and breaches (breach rows whose deadline fell in the range). A
fulfilled wait falls in the range by the time it was fulfilled. ``basis`` picks calendar or
business seconds. Day and hour buckets are in the shop's timezone. Replies are attributed to
their author, a breach to the assignee at the deadline, ``None`` being the queue.

Index-only range scans of ``ix_sla_ledger_fulfil`` and ``ix_sla_ledger_breach`` answer it.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.sla.enums import Basis, GroupBy, Metric
from api.domain.sla.policy import load_calendar
from api.domain.sla.schemas import ReportRead, ReportRow

__all__ = ["CSV_COLUMNS", "ReportQuery", "firm_report", "report_csv", "shop_ranking",
           "shop_report"]

CSV_COLUMNS = ("metric", "group", "count", "mean", "p50", "p90", "p95", "p99", "attainment",
               "breaches")
_SECONDS = {Basis.CALENDAR: "calendar_seconds", Basis.BUSINESS: "business_seconds"}
# Grouped on cheap keys (uuid, "C" collation text, timestamps) and formatted afterwards:
# grouping sorts one metric's rows of the range by the key.
_GROUP = {
    GroupBy.SHOP: "NULL::int",
    GroupBy.AGENT: "agent_id",
    GroupBy.CHANNEL: 'channel COLLATE "C"',
    GroupBy.DAY: "date_trunc('day', at AT TIME ZONE :tz)",
    GroupBy.HOUR: "date_trunc('hour', at AT TIME ZONE :tz)",
}
# A report is one big aggregate: JIT compilation costs more than it saves here, and the
# percentile sorts must stay in memory.
_REPORT_SETTINGS = text("SELECT set_config('jit', 'off', true), "
                        "set_config('work_mem', '64MB', true)")


# Distinct agents per metric: each step one probe of ix_sla_ledger_fulfil_agent (NULL, the
# queue, is its own group). Then each agent's rows in the range, already in index order.
_BY_AGENT = (
    "WITH RECURSIVE agents (metric, agent_id) AS ("
    "SELECT m.metric, (SELECT agent_id FROM sla_ledger WHERE shop_id = :shop_id "
    "AND metric = m.metric AND kind = 'fulfil' AND agent_id IS NOT NULL "
    "ORDER BY agent_id LIMIT 1) FROM unnest(CAST(:metrics AS text[])) m (metric) "
    "UNION ALL SELECT g.metric, (SELECT l.agent_id FROM sla_ledger l "
    "WHERE l.shop_id = :shop_id AND l.metric = g.metric AND l.kind = 'fulfil' "
    "AND l.agent_id > g.agent_id ORDER BY l.agent_id LIMIT 1) FROM agents g "
    "WHERE g.agent_id IS NOT NULL) "
    "SELECT m.metric, m.agent_id AS grp, a.* FROM agents m CROSS JOIN LATERAL ("
    "SELECT {figures} AND agent_id = m.agent_id HAVING count(*) > 0) a "
    "WHERE m.agent_id IS NOT NULL UNION ALL "
    "SELECT m.metric, NULL::uuid, a.* FROM unnest(CAST(:metrics AS text[])) m (metric) "
    "CROSS JOIN LATERAL (SELECT {figures} AND agent_id IS NULL HAVING count(*) > 0) a")


def _label(group_by: GroupBy, shop_id: uuid.UUID, value: Any) -> str | None:
    if group_by == GroupBy.SHOP:
        return str(shop_id)
    if value is None:
        return None
    if group_by == GroupBy.DAY:
        return value.strftime("%Y-%m-%d")
    if group_by == GroupBy.HOUR:
        return value.strftime("%Y-%m-%dT%H:00")
    return str(value)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    since: datetime
    until: datetime
    group_by: GroupBy = GroupBy.SHOP
    basis: Basis = Basis.CALENDAR
    metrics: tuple[Metric, ...] = tuple(Metric)


def _row(metric: str, group: str | None, r: Any) -> ReportRow:
    pcts = r.pcts or [None, None, None, None]
    return ReportRow(metric=Metric(metric), group=group, count=int(r.n or 0),
                     mean=float(r.mean) if r.mean is not None else None,
                     p50=pcts[0], p90=pcts[1], p95=pcts[2], p99=pcts[3],
                     attainment=(r.attained / r.with_target) if r.with_target else None,
                     breaches=int(r.breaches or 0))


async def shop_report(session: AsyncSession, shop_id: uuid.UUID, query: ReportQuery
                      ) -> ReportRead:
    tz = (await load_calendar(session, shop_id)).calendar.timezone
    seconds = _SECONDS[query.basis]
    await session.execute(_REPORT_SETTINGS)
    # Fulfilled waits: one range scan of the fulfil index per metric (LATERAL), so only the
    # groups of one metric are ever sorted; per agent, one range scan per (metric, agent),
    # the agents found by skipping through the index, so nothing is sorted at all.
    # Breaches: a count over the breach index.
    group = _GROUP[query.group_by]
    figures = (f"count(*) AS n, avg({seconds}) AS mean, "
               f"percentile_cont(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY {seconds}) "
               "AS pcts, count(*) FILTER (WHERE within_target) AS attained, "
               "count(within_target) AS with_target FROM sla_ledger WHERE shop_id = :shop_id "
               "AND metric = m.metric AND kind = 'fulfil' AND at >= :since AND at < :until ")
    fulfilled = _BY_AGENT.format(figures=figures) if query.group_by == GroupBy.AGENT else (
        "SELECT m.metric, a.* FROM unnest(CAST(:metrics AS text[])) m (metric) "
        f"CROSS JOIN LATERAL (SELECT {group} AS grp, {figures} GROUP BY 1) a")
    rows = (await session.execute(text(
        f"WITH f AS ({fulfilled}), "
        f"b AS (SELECT metric, {group} AS grp, count(*) AS breaches FROM sla_ledger "
        "WHERE shop_id = :shop_id AND metric = ANY(CAST(:metrics AS text[])) "
        "AND kind = 'breach' AND at >= :since AND at < :until GROUP BY 1, 2) "
        "SELECT coalesce(f.metric, b.metric) AS metric, coalesce(f.grp, b.grp) AS grp, f.n, "
        "f.mean, f.pcts, f.attained, f.with_target, coalesce(b.breaches, 0) AS breaches "
        "FROM f FULL JOIN b ON f.metric = b.metric "
        "AND coalesce(CAST(f.grp AS text), '') = coalesce(CAST(b.grp AS text), '') "
        "ORDER BY array_position(CAST(:metrics AS text[]), coalesce(f.metric, b.metric)), "
        "2 NULLS FIRST"),
        {"shop_id": shop_id, "metrics": [m.value for m in query.metrics], "tz": tz,
         "since": query.since, "until": query.until})).all()
    return ReportRead(group_by=query.group_by.value, basis=query.basis.value,
                      since=query.since, until=query.until,
                      rows=[_row(r.metric, _label(query.group_by, shop_id, r.grp), r)
                            for r in rows])


async def _firm_rows(session: AsyncSession, query: ReportQuery) -> list[Any]:
    await session.execute(_REPORT_SETTINGS)
    return list((await session.execute(text(
        "SELECT shop_id, metric, n, mean, ARRAY[p50, p90, p95, p99] AS pcts, attained, "
        "with_target, breaches FROM sla_firm_report(:since, :until, :business) "
        "WHERE metric = ANY(:metrics) ORDER BY metric, shop_id NULLS FIRST"),
        {"since": query.since, "until": query.until,
         "business": query.basis == Basis.BUSINESS,
         "metrics": [m.value for m in query.metrics]})).all())


async def firm_report(session: AsyncSession, query: ReportQuery) -> ReportRead:
    """Every shop's figures and the firm's total (group ``None``), from aggregates only."""
    rows = await _firm_rows(session, query)
    return ReportRead(group_by="shop", basis=query.basis.value, since=query.since,
                      until=query.until,
                      rows=[_row(r.metric, str(r.shop_id) if r.shop_id else None, r)
                            for r in rows])


async def shop_ranking(session: AsyncSession, query: ReportQuery, metric: Metric
                       ) -> list[tuple[int, Any, ReportRow]]:
    """Shops by attainment (best first), then by p90 (fastest first), for one metric."""
    rows = [r for r in await _firm_rows(session, ReportQuery(
        query.since, query.until, GroupBy.SHOP, query.basis, (metric,))) if r.shop_id]
    names = dict((await session.execute(text(
        "SELECT id, name FROM shops WHERE id = ANY(:ids)"),
        {"ids": [r.shop_id for r in rows]})).all())
    ranked = sorted((_row(r.metric, str(r.shop_id), r) for r in rows), key=lambda x: (
        -(x.attainment if x.attainment is not None else -1.0),
        x.p90 if x.p90 is not None else float("inf"), x.group or ""))
    return [(i + 1, names.get(uuid.UUID(row.group or "")), row) for i, row in enumerate(ranked)]


def report_csv(report: ReportRead) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow([row.metric.value, "" if row.group is None else row.group, row.count,
                         *("" if v is None else repr(float(v)) for v in
                           (row.mean, row.p50, row.p90, row.p95, row.p99, row.attainment)),
                         row.breaches])
    return out.getvalue()
