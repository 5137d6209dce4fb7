"""Target resolution (most specific wins) and the CSV form of a report."""

from __future__ import annotations

from datetime import UTC, datetime

from api.domain.sla.enums import Metric
from api.domain.sla.policy import Policy, resolve_target
from api.domain.sla.reports import CSV_COLUMNS, report_csv
from api.domain.sla.schemas import ReportRead, ReportRow

POLICY = Policy(version=1, targets=(
    {"metric": "frt", "seconds": 600},
    {"metric": "frt", "seconds": 300, "channel": "wechat"},
    {"metric": "frt", "seconds": 60, "priority": "urgent"},
    {"metric": "frt", "seconds": 30, "channel": "web", "priority": "urgent"},
    {"metric": "nrt", "seconds": 120, "channel": "web"},
))


def test_most_specific_target_wins() -> None:
    assert resolve_target(POLICY, "frt", "web", "urgent") == 30
    assert resolve_target(POLICY, "frt", "wechat", "urgent") == 60
    assert resolve_target(POLICY, "frt", "wechat", "normal") == 300
    assert resolve_target(POLICY, "frt", "live", "low") == 600
    assert resolve_target(POLICY, "nrt", "mobile", "normal") is None
    assert resolve_target(POLICY, "resolution", "web", "normal") is None


def test_csv_has_one_line_per_row_and_empty_cells_for_missing_figures() -> None:
    moment = datetime(2027, 1, 1, tzinfo=UTC)
    report = ReportRead(group_by="agent", basis="calendar", since=moment, until=moment, rows=[
        ReportRow(metric=Metric.FRT, group=None, count=0, mean=None, p50=None, p90=None,
                  p95=None, p99=None, attainment=None, breaches=2),
        ReportRow(metric=Metric.NRT, group="a,b", count=2, mean=1.5, p50=1.5, p90=1.9,
                  p95=1.95, p99=1.99, attainment=0.5, breaches=0)])
    lines = report_csv(report).splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert lines[1] == "frt,,0,,,,,,,2"
    assert lines[2] == 'nrt,"a,b",2,1.5,1.5,1.9,1.95,1.99,0.5,0'
