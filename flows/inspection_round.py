"""'Dân vận khéo' inspection rounds (đợt kiểm tra).

* `open_inspection_round` (operator, from the UI): creates the round with its teams
  and planned visits (`services.inspections.open_inspection_round`), tells every visited
  unit's focal point (outbox), and publishes the plan of visits.
* `inspection_round_status` (daily): for every open round, a table of visits with
  and without a result; when the report is due within `remind_within_days` and
  results are missing, one reminder a day to the plan issuer's focal point.

Waiting for people is DB state, not a paused flow: results come in through the
operator action "Ghi kết quả kiểm tra"; the next status run sees them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from danvan_workflow.commands.inspections import OpenInspectionRound
from danvan_workflow.services import cycles, inspections
from flows._common import cancelled, changed, publish_markdown, run_day
from flows._forms import act


@flow(name="open-inspection-round", validate_parameters=False)
def open_inspection_round(data: OpenInspectionRound) -> dict[str, Any]:
    """Mở đợt kiểm tra “Dân vận khéo”: đoàn, lượt kiểm tra, báo lịch cho đơn vị."""
    opened = act(OpenInspectionRound, data, inspections.open_inspection_round)
    if opened is None:
        return cancelled()
    created, queued = opened.created, opened.queued
    due = created.report_due_on.strftime("%d/%m/%Y") if created.report_due_on else "chưa có"
    changed("Đã mở đợt kiểm tra", [
        f"Mã đợt: **{created.code}** — {created.title}",
        f"{created.teams} đoàn, {created.visits} lượt kiểm tra; hạn báo cáo: {due}",
        f"Đã ghi {queued} thông báo lịch kiểm tra cho đầu mối các đơn vị."])
    return {"code": created.code, "teams": created.teams, "visits": created.visits,
            "queued": queued}


@task(name="Tình hình các đợt kiểm tra", retries=2, retry_delay_seconds=[5, 30])
def round_report(day: dt.date, code: str | None, within: int
                 ) -> list[tuple[inspections.RoundStatus, int]]:
    return cycles.report_rounds(day, code, within)


@flow(name="inspection-round-status")
def inspection_round_status(round_code: str | None = None, run_date: dt.date | None = None,
                            remind_within_days: int = 5) -> dict[str, Any]:
    """Tình hình đợt kiểm tra: lượt đã/chưa có kết quả; nhắc khi gần hạn báo cáo."""
    day = run_day(run_date)
    out = []
    for st, reminded in round_report(day, round_code, remind_within_days):
        rows = [{"Đoàn": v.team, "Đơn vị": f"{v.unit_name} ({v.unit_code})",
                 "Mô hình": v.model_name or "—",
                 "Ngày kiểm tra": v.visit_on.strftime("%d/%m/%Y") if v.visit_on else "—",
                 "Kết quả": v.result_label, "Nhận xét": v.findings or ""} for v in st.visits]
        key = "danvan-dot-kiem-tra-" + "".join(ch if ch.isalnum() else "-"
                                               for ch in st.code.lower())
        create_table_artifact(rows or [{"Thông tin": "Chưa có lượt kiểm tra"}], key=key,
                              description=f"{st.title}: {len(st.done)}/{len(st.visits)} lượt có "
                                          f"kết quả; hạn báo cáo: {st.days_left_text}")
        out.append({"code": st.code, "done": len(st.done), "missing": len(st.missing),
                    "reminded": reminded})
    if not out:
        publish_markdown("danvan-dot-kiem-tra", "Đợt kiểm tra", "Không có đợt kiểm tra đang mở.")
    return {"day": day.isoformat(), "rounds": out}
