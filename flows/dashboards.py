"""Dashboards published at once: when the engine starts and after every operator action.

The daily sweep publishes them too; this flow lets the engine (and `danvan deploy`)
publish them without waiting for 07:30, so an operator never opens empty tables.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, task

from danvan_workflow import dashboards
from flows._common import publish_table, run_day


@task(name="Cập nhật bảng theo dõi", retries=2, retry_delay_seconds=[5, 30])
def publish_dashboards(day: dt.date) -> list[str]:
    tables = dashboards.dashboard_tables(day)
    for t in tables:
        publish_table(t)
    return [t.key for t in tables]


@flow(name="publish-dashboards")
def refresh_dashboards(run_date: dt.date | None = None) -> list[str]:
    """Cập nhật bảng theo dõi ngay (khi khởi động, sau mỗi thao tác)."""
    return publish_dashboards(run_day(run_date))
