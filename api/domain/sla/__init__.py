"""Response-time SLA (issue 7, ``../shared/spec/sla.md``): policy, calendar, clocks, reports."""
