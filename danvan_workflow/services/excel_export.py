"""Use cases "export to Excel": a list of deadlines, or a plan's year in one workbook
(its deadlines, the record per unit, the "Dân vận khéo" quotas, the emulation scores).

Figures from the read side, so the workbook says what the dashboards and `danvan status`
say; the layout is the adapter's (adapters/exporters/xlsx.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from danvan_workflow.adapters.exporters.xlsx import Sheet, write_workbook
from danvan_workflow.db import models as m
from danvan_workflow.services import scores
from danvan_workflow.services.models_dvk import quota_report
from danvan_workflow.services.output_files import output_file
from danvan_workflow.services.queries import DeadlineView, list_deadlines, resolve_plan
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.services.views import plan_unit_counts
from danvan_workflow.timeutil import today

DEADLINE_COLUMNS = ["Số hạn", "Kế hoạch", "Nội dung", "Kỳ", "Hạn", "Đơn vị báo cáo",
                    "Mã đơn vị", "Nơi nhận", "Trạng thái", "Ngày nhận", "Số văn bản"]


def deadline_rows(items: list[DeadlineView]) -> list[list[object]]:
    return [[d.id, d.plan_code, d.title, d.period_label, d.due_on, d.reporter_name,
             d.reporter_code, d.recipient_name, d.status_label, d.received_on,
             d.document_number or ""] for d in items]


def deadlines_workbook(items: list[DeadlineView], output: Path) -> Path:
    return write_workbook(output_file(output, ".xlsx"), [Sheet("Hạn báo cáo", DEADLINE_COLUMNS,
                                                  deadline_rows(items))])


def plan_workbook(plan_code: str, year: int, output: Path) -> Path:
    """A plan's year: deadlines, per-unit record, quotas, scores (the sheets that apply)."""
    output = output_file(output, ".xlsx")
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    with unit_of_work() as s:
        plan = resolve_plan(s, plan_code, field="--plan")
        items = list_deadlines(s, start=first, end=last, plan=plan.code,
                               include_continuous=False)
        day = min(last, today())
        per_unit = plan_unit_counts(s, plan.id, day, since=first)
        has_quota = s.execute(select(func.count()).select_from(m.Quota)
                              .where(m.Quota.plan_id == plan.id)).scalar_one()
        quotas = quota_report(s, plan.code, year).lines if has_quota and plan.year <= year \
            else []
        has_scorecard = s.execute(select(func.count()).select_from(m.ScoreCriterion)
                                  .where(m.ScoreCriterion.plan_id == plan.id)).scalar_one()
    sheets = [Sheet("Hạn báo cáo", DEADLINE_COLUMNS, deadline_rows(items))]
    sheets.append(Sheet("Theo đơn vị", ["Mã đơn vị", "Đơn vị", "Đúng hạn", "Trễ hạn",
                                        "Quá hạn chưa nộp", "Số hạn đã đến",
                                        "Tỷ lệ đúng hạn (%)"],
                        [[u.code, u.name, u.on_time, u.late, u.overdue, u.due,
                          float(u.rate) if u.rate is not None else None]
                         for u in per_unit]))
    if quotas:
        sheets.append(Sheet("Chỉ tiêu mô hình", ["Mã đơn vị", "Đơn vị", "Chỉ tiêu",
                                                 "Đã đăng ký", "Còn thiếu", "Đạt"],
                            [[q.unit_code, q.unit_name, q.required, q.registered, q.short_by,
                              "Đạt" if q.met else "Chưa đạt"] for q in quotas]))
    if has_scorecard:
        ranking = scores.view_ranking(plan.code, year)
        sheets.append(Sheet("Điểm thi đua", ["Xếp hạng", "Mã đơn vị", "Đơn vị", "Tổng điểm",
                                             "Xếp loại"],
                            [[r.rank, r.unit_code, r.unit_name, float(r.total),
                              r.classification or ""] for r in ranking]))
    return write_workbook(output, sheets)
