"""The daily sweep: extend the horizon, plan the day's reminders, send, publish dashboards.

Scheduled on working days at 07:30 Asia/Ho_Chi_Minh (cron "30 7 * * 1-6": a Saturday
may be a swapped working day). On a day off the flow plans nothing but still sends
the retries that are due. Running it twice a day plans nothing twice (the services'
unique keys guarantee it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any, cast
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from danvan_workflow import dashboards
from danvan_workflow.services import sweep
from danvan_workflow.services.materialise import MaterialiseResult
from danvan_workflow.services.outbox import DispatchStats, dispatch
from danvan_workflow.services.reminders import SweepResult
from flows._common import publish_markdown, run_day, working_day
from flows.dashboards import publish_dashboards


@task(name="Mở rộng hạn báo cáo", retries=2, retry_delay_seconds=[5, 30])
def extend_horizon(day: dt.date) -> MaterialiseResult:
    return sweep.extend_horizon(day)


@task(name="Lập nhắc hạn", retries=2, retry_delay_seconds=[5, 30])
def plan_reminders(day: dt.date) -> SweepResult:
    return sweep.plan_day(day)


@task(name="Tính số liệu theo đơn vị", retries=2, retry_delay_seconds=[5, 30])
def refresh_figures(day: dt.date) -> None:
    sweep.refresh_figures(day)


@task(name="Gửi thông báo", retries=3, retry_delay_seconds=[10, 60, 300])
def dispatch_outbox(progress_key: str = "danvan-tien-do-gui") -> DispatchStats:
    total = dashboards.count_due_messages()
    art = cast(UUID, create_progress_artifact(
        0.0, key=progress_key, description=f"Tiến độ gửi {total} thông báo đến hạn"))

    def progress(stats: DispatchStats) -> None:
        pct = 100.0 if not total else min(100.0, 100.0 * stats.claimed / total)
        update_progress_artifact(art, pct)

    stats = dispatch(progress=progress)
    update_progress_artifact(art, 100.0)
    return stats


def summary_markdown(day: dt.date, working: bool, planned: SweepResult | None,
                     mat: MaterialiseResult | None, sent: DispatchStats) -> str:
    lines = [f"**Ngày {day:%d/%m/%Y}**"]
    if not working:
        lines.append("Hôm nay là ngày nghỉ: không lập nhắc hạn mới; chỉ gửi lại các thông báo "
                     "đến lượt thử lại.")
    if mat is not None:
        lines.append(f"- Hạn báo cáo mới: {mat.inserted}")
    if planned is not None:
        days = ", ".join(d.strftime("%d/%m") for d in planned.days) or "—"
        lines += [f"- Ngày làm việc được xử lý: {days}",
                  f"- Nhắc hạn đã lập: **{planned.planned}**, gộp thành {planned.messages} "
                  f"thông báo",
                  f"- Đôn đốc chậm nộp (gửi lãnh đạo đơn vị và nơi nhận): "
                  f"**{planned.escalations}**"]
    lines += [f"- Đã gửi: **{sent.sent}**",
              f"- Không gửi được: **{sent.dead}**, chờ gửi lại: {sent.retry}, "
              f"chưa cấu hình kênh: {sent.unconfigured}, hủy: {sent.cancelled}"]
    return "\n".join(lines)


@flow(name="daily-sweep", log_prints=True)
def daily_sweep(run_date: dt.date | None = None) -> dict[str, Any]:
    """Quét hằng ngày: lập nhắc hạn, gửi thông báo, cập nhật bảng theo dõi."""
    day = run_day(run_date)
    log = get_run_logger()
    working = working_day(day)
    mat = planned = None
    if working:
        mat = extend_horizon(day)
        log.info("Đã thêm %s hạn báo cáo mới.", mat.inserted)
        planned = plan_reminders(day)
        log.info("Đã lập %s nhắc hạn (%s thông báo), %s đôn đốc chậm nộp.",
                 planned.planned, planned.messages, planned.escalations)
        refresh_figures(day)
    else:
        log.info("Ngày %s là ngày nghỉ: chỉ gửi lại các thông báo đến lượt thử lại.",
                 f"{day:%d/%m/%Y}")
    sent = dispatch_outbox()
    log.info("Đã gửi %s thông báo; không gửi được %s; chờ gửi lại %s.",
             sent.sent, sent.dead, sent.retry)
    publish_dashboards(day)
    text = summary_markdown(day, working, planned, mat, sent)
    publish_markdown(dashboards.KEYS["summary"], "Kết quả quét hằng ngày", text)
    return {"day": day.isoformat(), "working_day": working,
            "planned": asdict(planned) if planned else None,
            "materialised": asdict(mat) if mat else None, "dispatched": asdict(sent)}
