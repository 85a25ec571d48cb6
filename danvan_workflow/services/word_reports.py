"""Use cases "write a Word report": a plan's reporting record, the roll-up by area.

The figures come from the read side (`views.on_time_columns`, `rollup.rollup`) so the
Word report says what the dashboards say; the header block follows the issuing body
(core/doc_header.py); the adapter lays out the page (adapters/exporters/docx_report.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan_workflow.adapters.exporters.docx_report import ReportDoc, render
from danvan_workflow.core.doc_header import Body, header_for
from danvan_workflow.core.ontime import on_time_rate
from danvan_workflow.core.vietnamese import format_date, format_percent, nfc
from danvan_workflow.db import models as m
from danvan_workflow.errors import UserError
from danvan_workflow.services.queries import resolve_plan, resolve_unit
from danvan_workflow.services.rollup import rollup
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.services.views import on_time_columns

MAX_DEPTH = 6


def _body(session: Session, unit: m.Unit) -> Body:
    chain: list[m.Unit] = [unit]
    while chain[-1].parent_id is not None and len(chain) < MAX_DEPTH:
        parent = session.get(m.Unit, chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
    body: Body | None = None
    for u in reversed(chain):
        body = Body(u.name, u.kind, body)
    assert body is not None
    return body


def _rate(on_time: int, late: int, overdue: int) -> str:
    r = on_time_rate(on_time, late, overdue)
    return format_percent(r) if r is not None else "—"


def _target(output: Path) -> Path:
    if output.suffix.lower() != ".docx":
        raise UserError("tên tệp phải có đuôi .docx", field="--output")
    if not output.parent.is_dir():
        raise UserError("không có thư mục để ghi tệp", file=str(output.parent))
    return output


def plan_report(plan_code: str, day: dt.date, output: Path) -> Path:
    """The record of a plan's reports due by `day`, unit by unit, for its issuer."""
    output = _target(output)
    D, O, U = m.Deadline, m.Obligation, m.Unit
    with unit_of_work() as s:
        plan = resolve_plan(s, plan_code, field="--plan")
        issuer = s.get(U, plan.issuer_id)
        assert issuer is not None
        body = _body(s, issuer)
        rows = s.execute(
            select(U.name, U.code, *on_time_columns(day), func.count(D.id))
            .join(D, D.unit_id == U.id).join(O, O.id == D.obligation_id)
            .where(O.plan_id == plan.id, D.due_on <= day)
            .group_by(U.name, U.code).order_by(U.code)).tuples().all()
        title = plan.title
    on_time = sum(int(r[2]) for r in rows)
    late = sum(int(r[3]) for r in rows)
    overdue = sum(int(r[4]) for r in rows)
    behind = [f"{name} ({int(od)})" for name, _c, _o, _l, od, _t in rows if int(od)]
    doc = ReportDoc(
        header=header_for(body, day),
        title="BÁO CÁO",
        subtitle=nfc(f"Tình hình thực hiện chế độ báo cáo theo Kế hoạch số {plan_code} "
                     f"(đến ngày {format_date(day)})"),
        paragraphs=[nfc(
            f"Thực hiện Kế hoạch số {plan_code} về “{title}”, tính đến ngày "
            f"{format_date(day)}, {len(rows)} đơn vị có {on_time + late + overdue} lượt "
            f"báo cáo đến hạn: {on_time} lượt nộp đúng hạn, {late} lượt nộp trễ hạn, "
            f"{overdue} lượt quá hạn chưa nộp; tỷ lệ nộp đúng hạn "
            f"{_rate(on_time, late, overdue)}. Kết quả từng đơn vị như sau:")],
        columns=["STT", "Đơn vị", "Đúng hạn", "Trễ hạn", "Quá hạn chưa nộp",
                 "Tỷ lệ đúng hạn"],
        widths=(1.2, 7.3, 2.0, 2.0, 2.0, 2.0),
        rows=[[i, name, int(o), int(late_), int(od), _rate(int(o), int(late_), int(od))]
              for i, (name, _code, o, late_, od, _t) in enumerate(rows, start=1)],
        closing=[nfc("Các đơn vị còn báo cáo quá hạn: " + "; ".join(behind) + ". Đề nghị "
                     "các đơn vị khẩn trương hoàn thành, gửi báo cáo đúng thời gian quy "
                     "định.") if behind else
                 "Các đơn vị đã nộp đủ các báo cáo đến hạn."],
        signer_title="T/M BAN CHỈ ĐẠO" if issuer.kind == "steering_committee" else
        "TM. CƠ QUAN",
        recipients=[body.parent.name] if body.parent else [],
    )
    return render(doc, output)


def area_report(issuer_code: str, day: dt.date, output: Path) -> Path:
    """The roll-up by province → district → unit, as the issuer's report."""
    output = _target(output)
    with unit_of_work() as s:
        issuer = resolve_unit(s, issuer_code, field="--issuer")
        body = _body(s, issuer)
        rows = rollup(s, day)
    doc = ReportDoc(
        header=header_for(body, day),
        title="BÁO CÁO",
        subtitle=nfc(f"Tổng hợp tình hình thực hiện chế độ báo cáo theo địa bàn (đến ngày "
                     f"{format_date(day)})"),
        paragraphs=["Mỗi dòng gồm đơn vị và các đơn vị trực thuộc; tỷ lệ đúng hạn tính trên "
                    "các báo cáo đã đến hạn (đúng hạn ÷ (đúng hạn + trễ hạn + quá hạn))."],
        columns=["Cấp", "Đơn vị (gồm trực thuộc)", "Đúng hạn", "Trễ hạn", "Quá hạn",
                 "Tỷ lệ đúng hạn"],
        widths=(1.8, 7.5, 1.8, 1.8, 1.8, 1.8),
        rows=[[r.level_word, "– " * r.depth + r.name, r.on_time, r.late, r.overdue,
               _rate(r.on_time, r.late, r.overdue)] for r in rows],
        recipients=[body.parent.name] if body.parent else [],
    )
    return render(doc, output)
