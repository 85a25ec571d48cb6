"""The day's work: extend the horizon, plan reminders, dispatch. Flows call the steps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from danvan_workflow.db.session import session_scope
from danvan_workflow.services import figures
from danvan_workflow.services.materialise import MaterialiseResult, horizon_end, materialise
from danvan_workflow.services.outbox import DispatchStats, dispatch
from danvan_workflow.services.reminders import SweepResult, plan_reminders


@dataclass
class DailySweep:
    day: dt.date
    materialised: MaterialiseResult
    planned: SweepResult
    dispatched: DispatchStats | None

    def summary_text(self) -> str:
        p, mt, d = self.planned, self.materialised, self.dispatched
        days = ", ".join(x.strftime("%d/%m/%Y") for x in p.days) or "không có (ngày nghỉ)"
        lines = [
            f"Quét ngày {self.day:%d/%m/%Y} — các ngày làm việc được xử lý: {days}",
            f"Hạn báo cáo: thêm {mt.inserted}, dời {mt.moved}.",
            f"Nhắc hạn đã lập: {p.planned} (trong đó đôn đốc chậm nộp {p.escalations}), "
            f"gộp thành {p.messages} thông báo.",
        ]
        if d is not None:
            lines.append(f"Đã gửi {d.sent}, chờ gửi lại {d.retry}, không gửi được {d.dead}, "
                         f"chưa cấu hình kênh {d.unconfigured}, hủy {d.cancelled}.")
        return "\n".join(lines)


def extend_horizon(day: dt.date, engine: Engine | None = None) -> MaterialiseResult:
    with session_scope(engine) as s:
        return materialise(s, until=horizon_end(day), recompute=False)


def plan_day(day: dt.date, engine: Engine | None = None) -> SweepResult:
    with session_scope(engine) as s:
        return plan_reminders(s, day)


def refresh_figures(day: dt.date, engine: Engine | None = None) -> None:
    """Count the day's per-unit figures once, so that the dashboards read them at once."""
    with session_scope(engine) as s:
        figures.refresh(s, day)


def daily_sweep(day: dt.date, *, send: bool = True, engine: Engine | None = None) -> DailySweep:
    mat = extend_horizon(day, engine)
    planned = plan_day(day, engine)
    refresh_figures(day, engine)
    sent = dispatch(engine=engine) if send else None
    return DailySweep(day, mat, planned, sent)
