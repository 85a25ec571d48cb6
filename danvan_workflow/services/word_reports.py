"""Use cases "write a Word report": a plan's reporting record, the roll-up by area.

The figures come from the read side (`views.on_time_columns`, `rollup.rollup`) so the
Word report says what the dashboards say; the header block follows the issuing body
(core/doc_header.py); the adapter lays out the page (adapters/exporters/docx_report.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.adapters.exporters.docx_report import ReportDoc, render
from danvan_workflow.commands.reports import ExportWordReport
from danvan_workflow.core.doc_header import Body, header_for
from danvan_workflow.core.ontime import on_time_rate, rate_text
from danvan_workflow.core.vietnamese import format_date, nfc
from danvan_workflow.db import models as m
from danvan_workflow.errors import UserError
from danvan_workflow.services import inspections, scores, targets
from danvan_workflow.services.output_files import output_file
from danvan_workflow.services.queries import STATUS_LABELS, resolve_plan, resolve_unit
from danvan_workflow.services.rollup import rollup
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.services.views import plan_unit_counts
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import now, today

MAX_DEPTH = 6
T = TypeVar("T")


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
    return rate_text(on_time_rate(on_time, late, overdue))


def plan_report(plan_code: str, day: dt.date, output: Path) -> Path:
    """The record of a plan's reports due by `day`, unit by unit, for its issuer."""
    output = output_file(output, ".docx")
    with unit_of_work() as s:
        plan = resolve_plan(s, plan_code, field="--plan")
        issuer = s.get(m.Unit, plan.issuer_id)
        assert issuer is not None
        body = _body(s, issuer)
        rows = plan_unit_counts(s, plan.id, day)
        title = plan.title
    on_time = sum(r.on_time for r in rows)
    late = sum(r.late for r in rows)
    overdue = sum(r.overdue for r in rows)
    behind = [f"{r.name} ({r.overdue})" for r in rows if r.overdue]
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
        rows=[[i, r.name, r.on_time, r.late, r.overdue, _rate(r.on_time, r.late, r.overdue)]
              for i, r in enumerate(rows, start=1)],
        closing=[nfc("Các đơn vị còn báo cáo quá hạn: " + "; ".join(behind) + ". Đề nghị "
                     "các đơn vị khẩn trương hoàn thành, gửi báo cáo đúng thời gian quy "
                     "định.") if behind else
                 "Các đơn vị đã nộp đủ các báo cáo đến hạn."],
        signer_title="T/M BAN CHỈ ĐẠO" if issuer.kind == "steering_committee" else
        "TM. CƠ QUAN",
        recipients=_above(body),
    )
    return render(doc, output)


def area_report(issuer_code: str, day: dt.date, output: Path) -> Path:
    """The roll-up by province → district → unit, as the issuer's report."""
    output = output_file(output, ".docx")
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
        recipients=_above(body),
    )
    return render(doc, output)


def _plan_issuer(s: Session, plan: m.Plan) -> Body:
    issuer = s.get(m.Unit, plan.issuer_id)
    assert issuer is not None
    return _body(s, issuer)


def _need(value: T | None, field: str, what: str) -> T:
    """A field the chosen kind of report needs (the form asks again naming it)."""
    if value is None or value == "":
        raise UserError(f"cần {what} cho loại báo cáo này", field=field)
    return value


def _above(body: Body) -> list[str]:
    """"Nơi nhận": the body above the issuer, when there is one."""
    return [body.parent.name] if body.parent else []


def cycle_report(plan_code: str, period: str, day: dt.date, output: Path) -> Path:
    """One reporting period of a plan: who sent on time, late, not at all."""
    output = output_file(output, ".docx")
    D, O, U, S = m.Deadline, m.Obligation, m.Unit, m.Submission
    with unit_of_work() as s:
        plan = resolve_plan(s, plan_code, field="--plan")
        body = _plan_issuer(s, plan)
        rows = s.execute(
            select(O.title, D.period_label, D.due_on, U.name, D.status, S.received_on)
            .join(O, O.id == D.obligation_id).join(U, U.id == D.unit_id)
            .outerjoin(S, S.deadline_id == D.id)
            .where(O.plan_id == plan.id, D.period_key == period)
            .order_by(O.code, U.code)).tuples().all()
    if not rows:
        raise UserError(f"kế hoạch {plan_code} không có hạn báo cáo nào của kỳ '{period}'",
                        field="--period")
    label = rows[0][1]
    counts = {"submitted_on_time": 0, "submitted_late": 0}
    missing = []
    for _t, _l, _d, name, status, _r in rows:
        if status in counts:
            counts[status] += 1
        elif status in ("open", "extended"):
            missing.append(name)
    doc = ReportDoc(
        header=header_for(body, day), title="BÁO CÁO",
        subtitle=nfc(f"Tình hình nộp báo cáo {label} theo Kế hoạch số {plan_code}"),
        paragraphs=[nfc(
            f"Kỳ báo cáo {label}: {len(rows)} lượt báo cáo; {counts['submitted_on_time']} "
            f"nộp đúng hạn, {counts['submitted_late']} nộp trễ hạn, {len(missing)} chưa nộp "
            f"(tính đến ngày {format_date(day)}).")],
        columns=["STT", "Đơn vị", "Báo cáo", "Hạn", "Tình hình", "Ngày nhận"],
        widths=(1.1, 4.6, 5.0, 2.0, 2.0, 1.8),
        rows=[[i, name, title, format_date(due) if due else "—",
               STATUS_LABELS.get(status, status), format_date(rec) if rec else ""]
              for i, (title, _l, due, name, status, rec) in enumerate(rows, start=1)],
        closing=[nfc("Đơn vị chưa nộp: " + "; ".join(dict.fromkeys(missing)) + ".")
                 if missing else "Các đơn vị đã nộp đủ báo cáo của kỳ."],
        recipients=_above(body))
    return render(doc, output)


def inspection_report(round_code: str, day: dt.date, output: Path) -> Path:
    """A "Dân vận khéo" inspection round: each visit and its result."""
    output = output_file(output, ".docx")
    st = inspections.view_round_status(round_code, day)
    with unit_of_work() as s:
        rnd = s.execute(select(m.InspectionRound).where(m.InspectionRound.code == round_code)
                        ).scalar_one()
        plan = s.get(m.Plan, rnd.plan_id) if rnd.plan_id else None
        if plan is None:
            raise UserError(f"đợt kiểm tra {round_code} không thuộc kế hoạch nào",
                            field="--round")
        body = _plan_issuer(s, plan)
    doc = ReportDoc(
        header=header_for(body, day), title="BÁO CÁO",
        subtitle=nfc(f"Kết quả {st.title}"),
        paragraphs=[nfc(f"Đợt kiểm tra có {len(st.visits)} lượt kiểm tra; {len(st.done)} lượt "
                        f"đã có kết quả, {len(st.missing)} lượt chưa có kết quả.")],
        columns=["Đoàn", "Đơn vị", "Mô hình", "Ngày kiểm tra", "Kết quả", "Nhận xét"],
        widths=(2.0, 3.8, 3.6, 2.0, 2.0, 3.1),
        rows=[[v.team, v.unit_name, v.model_name or "—",
               format_date(v.visit_on) if v.visit_on else "—", v.result_label, v.findings or ""]
              for v in st.visits],
        recipients=_above(body))
    return render(doc, output)


def score_report(plan_code: str, year: int, scorer: str, day: dt.date, output: Path) -> Path:
    """The emulation scores a scoring body aggregates (due 20/11 or 15/12)."""
    output = output_file(output, ".docx")
    agg = scores.view_aggregate(plan_code, year, scorer)
    with unit_of_work() as s:
        body = _body(s, resolve_unit(s, scorer, field="--scorer"))
    doc = ReportDoc(
        header=header_for(body, day), title="BÁO CÁO",
        subtitle=nfc(f"Tổng hợp kết quả chấm điểm thi đua năm {year} (Kế hoạch số "
                     f"{plan_code})"),
        paragraphs=[nfc(f"{agg.scorer_name} đã chấm {len(agg.scored)} đơn vị; "
                        f"{len(agg.not_scored)} đơn vị chưa chấm"
                        + (f"; hạn gửi kết quả {format_date(agg.due_on)}." if agg.due_on
                           else "."))],
        columns=["Xếp hạng", "Đơn vị", "Tổng điểm", "Xếp loại"],
        widths=(2.0, 9.0, 2.5, 3.0),
        rows=[[r.rank, r.unit_name, str(r.total), r.classification or "—"] for r in agg.scored]
        + [["—", name, "—", "Chưa chấm"] for _c, name in agg.not_scored],
        recipients=_above(body))
    return render(doc, output)


def target_report(plan_code: str, year: int, day: dt.date, output: Path) -> Path:
    """The plan's targets: achieved or not, with the units still short."""
    output = output_file(output, ".docx")
    rep = targets.view_targets(plan_code, year)
    with unit_of_work() as s:
        body = _plan_issuer(s, resolve_plan(s, plan_code, field="--plan"))
    doc = ReportDoc(
        header=header_for(body, day), title="BÁO CÁO",
        subtitle=nfc(f"Tình hình thực hiện chỉ tiêu năm {year} theo Kế hoạch số {plan_code}"),
        paragraphs=[nfc(f"Kế hoạch có {len(rep.lines)} chỉ tiêu; "
                        f"{sum(1 for x in rep.lines if x.achieved)} chỉ tiêu đã đạt.")],
        columns=["STT", "Chỉ tiêu", "Kết quả", "Đơn vị chưa đạt"],
        widths=(1.1, 6.4, 4.5, 4.5),
        rows=[[i, x.title, x.summary, ", ".join(name for _c, name in x.missing[:15])
               + (f" và {len(x.missing) - 15} đơn vị khác" if len(x.missing) > 15 else "")]
              for i, x in enumerate(rep.lines, start=1)],
        recipients=_above(body))
    return render(doc, output)


def export_to_folder(cmd: ExportWordReport) -> Path:
    """The command into the data folder (`<DANVAN_HOME>/exports/bao-cao/`), for the form."""
    folder = get_settings().home / "exports" / "bao-cao"
    folder.mkdir(parents=True, exist_ok=True)
    return export(cmd, folder / f"bao-cao-{cmd.kind.replace('_', '-')}-{now():%Y%m%d-%H%M%S}.docx")


def export(cmd: ExportWordReport, output: Path) -> Path:
    """The command "write a Word report" (CLI and the operator form)."""
    day = cmd.on or today()
    if cmd.kind == "dia_ban":
        return area_report(_need(cmd.issuer, "issuer", "mã đơn vị ban hành"), day, output)
    if cmd.kind == "kiem_tra":
        return inspection_report(_need(cmd.round_code, "round_code", "mã đợt kiểm tra"),
                                 day, output)
    plan = _need(cmd.plan, "plan", "số kế hoạch")
    if cmd.kind == "ky_bao_cao":
        return cycle_report(plan, _need(cmd.period, "period", "mã kỳ báo cáo"), day,
                            output)
    if cmd.kind == "thi_dua":
        return score_report(plan, _need(cmd.year, "year", "năm"),
                            _need(cmd.scorer, "scorer", "mã đơn vị chấm điểm"), day,
                            output)
    if cmd.kind == "chi_tieu":
        return target_report(plan, _need(cmd.year, "year", "năm"), day, output)
    return plan_report(plan, day, output)
