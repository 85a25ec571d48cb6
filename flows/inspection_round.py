"""'Dân vận khéo' inspection rounds (đợt kiểm tra).

* `open_inspection_round` (operator, from the UI): creates the round with its teams
  and planned visits (`services.inspections.create_round`), tells every visited
  unit's focal point (outbox), and publishes the plan of visits.
* `inspection_round_status` (daily): for every open round, a table of visits with
  and without a result; when the report is due within `remind_within_days` and
  results are missing, one reminder a day to the plan issuer's focal point.

Waiting for people is DB state, not a paused flow: results come in through the
operator action "Ghi kết quả kiểm tra"; the next status run sees them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from pydantic import BaseModel, ConfigDict, Field

from danvan_workflow.db.session import session_scope
from danvan_workflow.services import cycles, inspections
from danvan_workflow.timeutil import today
from flows._common import changed, coerce, publish_markdown, run_day


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(title="Họ tên", description="Họ tên thành viên đoàn kiểm tra")
    role: str = Field("", title="Chức danh trong đoàn", description="Ví dụ: Trưởng đoàn")


class Visit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(title="Mã đơn vị", description="Đơn vị được kiểm tra, ví dụ DP.PHOVINH.DU")
    model_id: int | None = Field(None, title="Số mô hình",
                                 description="Mô hình “Dân vận khéo” được kiểm tra (nếu có)")
    visit_on: dt.date | None = Field(None, title="Ngày kiểm tra", description="Dự kiến")


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(title="Tên đoàn/tổ", description="Ví dụ: Đoàn kiểm tra số 1")
    members: list[Member] = Field(default_factory=list, title="Thành viên")
    visits: list[Visit] = Field(default_factory=list, title="Lượt kiểm tra")


class RoundInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: str = Field(title="Số kế hoạch", description="Ví dụ: 26-KH/BCĐ")
    kind: Literal["mid_year", "year_end", "ad_hoc"] = Field(
        title="Loại đợt", description="mid_year: 6 tháng đầu năm; year_end: cuối năm; "
                                      "ad_hoc: đột xuất")
    year: int = Field(title="Năm", description="Năm của đợt kiểm tra")
    title: str = Field(title="Tên đợt kiểm tra")
    report_due_on: dt.date | None = Field(
        None, title="Hạn báo cáo kết quả",
        description="Để trống: lấy theo hạn báo cáo tháng 7 / tháng 12 của kế hoạch")
    teams: list[Team] = Field(title="Các đoàn kiểm tra")
    operator: str = Field("prefect-ui", title="Người thực hiện")


@task(name="Tạo đợt kiểm tra và báo lịch", retries=1, retry_delay_seconds=5)
def create_and_notify(data: RoundInput) -> tuple[inspections.RoundCreated, int]:
    with session_scope() as s:
        created = inspections.create_round(
            s, plan_code=data.plan, kind=data.kind, year=data.year, title=data.title,
            report_due_on=data.report_due_on, actor=data.operator,
            teams=[t.model_dump(mode="python") for t in data.teams])
        notices = cycles.round_visit_notices(s, created.code)
        queued = cycles.queue_notices(s, notices, today())
        return created, queued


@flow(name="open-inspection-round", validate_parameters=False)
def open_inspection_round(data: RoundInput) -> dict[str, Any]:
    """Mở đợt kiểm tra “Dân vận khéo”: đoàn, lượt kiểm tra, báo lịch cho đơn vị."""
    d = coerce(RoundInput, data)
    created, queued = create_and_notify(d)
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
    with session_scope() as s:
        return cycles.round_reports(s, day, code, within)


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
