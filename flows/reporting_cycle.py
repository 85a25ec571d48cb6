"""Reporting cycles: announce a period when it opens, close it when its deadline passes.

Scheduled daily at 07:45; the flow asks the calendar which cycles opened or closed
since the previous working day (nothing on a day off). Notices go to the outbox
(`services.cycles`); the dispatcher sends them. Before a mass send (more than
`threshold` messages) the run pauses for an operator's confirmation in the UI.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import Field

from danvan_workflow import dashboards
from danvan_workflow.services import cycles
from flows._common import publish_markdown, run_day

MASS_SEND_THRESHOLD = 200
PAUSE_POLL_SECONDS = 3


class Confirm(RunInput):
    approve: bool = Field(False, title="Đồng ý gửi",
                          description="Chọn để gửi các thông báo; bỏ chọn để không gửi gì.")
    note: str = Field("", title="Ghi chú", description="Ghi chú của người duyệt (không bắt buộc).")


@task(name="Xác định kỳ báo cáo mở và đóng", retries=2, retry_delay_seconds=[5, 30])
def find_cycles(day: dt.date, periods: tuple[str, ...]
                ) -> tuple[list[cycles.CycleLine], list[cycles.CycleLine],
                           list[cycles.NoticeGroup], int]:
    scan = cycles.scan_cycles(day, periods)
    return scan.opened, scan.closed, scan.groups, scan.pending


@task(name="Ghi thông báo kỳ báo cáo", retries=2, retry_delay_seconds=[5, 30])
def queue(groups: list[cycles.NoticeGroup], day: dt.date) -> int:
    return cycles.record_cycle_notices(groups, day)


@flow(name="reporting-cycle")
def reporting_cycle(period: cycles.Period | None = None, run_date: dt.date | None = None,
                    threshold: int = MASS_SEND_THRESHOLD) -> dict[str, Any]:
    """Kỳ báo cáo: thông báo mở kỳ, tổng hợp khi hết hạn."""
    day = run_day(run_date)
    periods = (period,) if period else cycles.PERIODS
    opened, closed, groups, pending = find_cycles(day, periods)
    log = get_run_logger()
    approved, note = True, ""
    if pending > threshold:
        log.info("Sắp gửi %s thông báo (trên %s): chờ người vận hành đồng ý.", pending,
                 threshold)
        form = Confirm.with_initial_data(
            description=f"Sắp gửi **{pending}** thông báo kỳ báo cáo. Đồng ý gửi?")
        answer = pause_flow_run(wait_for_input=form, timeout=24 * 3600,
                                poll_interval=PAUSE_POLL_SECONDS)
        approved, note = answer.approve, answer.note
    queued = queue(groups, day) if (approved and pending) else 0
    kinds = ", ".join(cycles.PERIOD_LABELS[p] for p in periods)
    lines = [f"**Ngày {day:%d/%m/%Y}** — loại kỳ: {kinds}",
             f"- Kỳ mở: {len(opened)}; kỳ hết hạn: {len(closed)}",
             f"- Thông báo mới: {pending}; đã ghi vào hộp thư đi: **{queued}**"]
    if not approved:
        lines.append(f"- Người vận hành **không đồng ý** gửi: không ghi thông báo nào. {note}")
    if opened:
        lines += ["", "## Kỳ báo cáo mở", dashboards.markdown_table(dashboards.cycle_rows(opened))]
    if closed:
        lines += ["", "## Kỳ báo cáo hết hạn (tỷ lệ đúng hạn, đơn vị chưa nộp)",
                  dashboards.markdown_table(dashboards.cycle_rows(closed))]
    publish_markdown("danvan-ky-bao-cao", "Kỳ báo cáo", "\n".join(lines))
    return {"day": day.isoformat(), "opened": len(opened), "closed": len(closed),
            "pending": pending, "queued": queued, "approved": approved}
