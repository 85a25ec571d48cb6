"""Fixed cut-offs (25/7, 20/11, 15/12, 31/12): status of everyone concerned.

Runs every working day at 07:40; on the days N working days before a cut-off
(`lead_working_days`, a deployment parameter) and on the day itself it publishes a
table of every unit concerned, submitted or not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from danvan_workflow import dashboards
from danvan_workflow.services import cycles
from flows._common import publish_markdown, run_day


@task(name="Tình hình mốc chốt", retries=2, retry_delay_seconds=[5, 30])
def cutoff_status(day: dt.date, lead: list[int]
                  ) -> list[tuple[dt.date, int, list[dict[str, Any]]]]:
    return [(c.cutoff, c.before, dashboards.cutoff_rows(c.cycles))
            for c in cycles.cutoff_status(day, lead)]


@flow(name="cutoffs")
def cutoffs(run_date: dt.date | None = None,
            lead_working_days: list[int] | None = None) -> dict[str, Any]:
    """Mốc chốt cố định: bảng đơn vị đã nộp / chưa nộp trước và đúng ngày chốt."""
    day = run_day(run_date)
    out: dict[str, Any] = {"day": day.isoformat(), "checks": []}
    for cutoff, n, rows in cutoff_status(day, lead_working_days or [5, 1]):
        when = "hôm nay" if n == 0 else f"còn {n} ngày làm việc"
        missing = sum(1 for r in rows if r["Đã nộp"] == "Chưa")
        create_table_artifact(rows or [{"Thông tin": "Không có đơn vị nào"}],
                              key=f"danvan-moc-chot-{cutoff:%d-%m}",
                              description=f"Mốc chốt {cutoff:%d/%m/%Y} ({when}): "
                                          f"{missing}/{len(rows)} chưa nộp")
        out["checks"].append({"cutoff": cutoff.isoformat(), "before": n, "units": len(rows),
                              "missing": missing})
    if not out["checks"]:
        publish_markdown("danvan-moc-chot", "Mốc chốt",
                         f"Ngày {day:%d/%m/%Y}: không có mốc chốt cần theo dõi.")
    return out
