"""`danvan models|reports|inspections|scores|targets|status`: the domain commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from danvan_workflow.cli.app import (
    console,
    get_settings,
    parse_command,
    parse_date,
    user_errors,
)
from danvan_workflow.errors import UserError
from danvan_workflow.timeutil import today

if TYPE_CHECKING:
    from danvan_workflow.commands.base import Command

models_app = typer.Typer(help='Mô hình "Dân vận khéo".', no_args_is_help=True)
reports_app = typer.Typer(help="Ghi nhận báo cáo: nộp, miễn, gia hạn, yêu cầu.",
                          no_args_is_help=True)
inspections_app = typer.Typer(help="Đợt kiểm tra.", no_args_is_help=True)
scores_app = typer.Typer(help="Chấm điểm thi đua.", no_args_is_help=True)
targets_app = typer.Typer(help="Chỉ tiêu của kế hoạch.", no_args_is_help=True)

Actor = Annotated[str | None, typer.Option("--actor", help="Người thực hiện")]


def _actor(actor: str | None) -> str:
    return actor or get_settings().operator


C = TypeVar("C", bound="Command")


def _command(model: type[C], **options: Any) -> C:
    """The command from the CLI's options (unset ones left to the model's defaults)."""
    return parse_command(model, {k: v for k, v in options.items() if v is not None})


def _d(value: Any) -> str:
    from danvan_workflow.core.vietnamese import format_date

    return format_date(value) if value else "—"


def _req_date(value: str, field: str) -> Any:
    d = parse_date(value, field)
    if d is None:
        raise UserError("cần nhập ngày (dạng DD/MM/YYYY)", field=field)
    return d


def _read_data(path: Path, field: str) -> Any:
    """A YAML or JSON file (complex inputs such as inspection teams)."""
    if not path.is_file():
        raise UserError(f"không tìm thấy tệp '{path}'", field=field)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"tệp '{path}' không phải văn bản UTF-8; lưu lại tệp với bảng mã "
                        "UTF-8 rồi thử lại", field=field) from None
    except OSError as exc:
        raise UserError(f"không đọc được tệp '{path}': {exc.strerror}", field=field) from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        from ruamel.yaml import YAML

        return YAML(typ="safe").load(text)
    except Exception as exc:  # any parse error is a problem of the user's file
        raise UserError(f"không đọc được tệp '{path}': {exc}", field=field) from None


# --------------------------------------------------------------------------- models


@models_app.command("register")
@user_errors
def models_register(
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị đăng ký")],
    name: Annotated[str, typer.Option("--name", help="Tên mô hình")],
    address: Annotated[str, typer.Option("--address", help="Địa chỉ")],
    field: Annotated[str, typer.Option(
        "--field", help="Lĩnh vực: kinh_te | van_hoa_xa_hoi | quoc_phong_an_ninh | xay_dung_dang")],
    start: Annotated[str, typer.Option("--start", help="Ngày bắt đầu")],
    end: Annotated[str, typer.Option("--end", help="Ngày kết thúc")],
    content: Annotated[str, typer.Option("--content", help="Nội dung thực hiện")],
    owner: Annotated[str, typer.Option("--owner", help="Chủ mô hình / người phụ trách")],
    batch: Annotated[str, typer.Option("--batch", help="first_half | second_half")] = "first_half",
    plan: Annotated[str | None, typer.Option("--plan", help="Số kế hoạch")] = None,
    actor: Actor = None,
) -> None:
    """Đăng ký một mô hình "Dân vận khéo"."""
    from danvan_workflow.commands.models_dvk import RegisterModel
    from danvan_workflow.services.models_dvk import register_new_model

    start_on, end_on = _req_date(start, "--start"), _req_date(end, "--end")
    res = register_new_model(_command(
        RegisterModel, name=name, address=address, field=field, start=start_on, end=end_on,
        content=content, owner=owner, unit_code=unit, batch=batch, plan=plan,
        operator=_actor(actor)))
    console.print(f"Đã đăng ký mô hình số [bold]{res.model_id}[/].", highlight=False)


def _transition(model_id: int, event: str, payload: dict[str, Any], actor: str | None) -> None:
    from danvan_workflow.commands.models_dvk import ApplyModelEvent
    from danvan_workflow.services.models_dvk import apply_model_event

    res = apply_model_event(_command(ApplyModelEvent, model_id=model_id, event=event,
                                     operator=_actor(actor), **payload))
    console.print(res.message, highlight=False)
    for d in res.deadlines:
        console.print(f"  Hạn tự đánh giá ({d.period_key}): {_d(d.due_on)}", highlight=False)
    if res.note:
        console.print(f"  {res.note}", highlight=False)


@models_app.command("approve")
@user_errors
def models_approve(
    model_id: Annotated[int, typer.Argument(help="Số mô hình")],
    notice: Annotated[str, typer.Option("--notice", help="Số thông báo giao nhiệm vụ")],
    actor: Actor = None,
) -> None:
    """Duyệt mô hình (thông báo giao nhiệm vụ)."""
    _transition(model_id, "approve", {"assignment_notice": notice}, actor)


@models_app.command("reject")
@user_errors
def models_reject(
    model_id: Annotated[int, typer.Argument(help="Số mô hình")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do không duyệt")],
    actor: Actor = None,
) -> None:
    """Không duyệt mô hình."""
    _transition(model_id, "reject", {"reason": reason}, actor)


@models_app.command("transition")
@user_errors
def models_transition(
    model_id: Annotated[int, typer.Argument(help="Số mô hình")],
    event: Annotated[str, typer.Argument(
        help="start | self_review_3m | self_review_6m | inspect_mid_year | inspect_year_end | "
             "recognise | not_recognise | replicate | approve | reject")],
    notice: Annotated[str | None, typer.Option("--notice", help="Số thông báo")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Lý do")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Cấp công nhận")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Ngày diễn ra")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Ghi chú")] = None,
    actor: Actor = None,
) -> None:
    """Chuyển trạng thái mô hình."""
    _transition(model_id, event, {"assignment_notice": notice, "reason": reason, "level": level,
                                  "on": parse_date(on, "--on"), "note": note}, actor)


@models_app.command("list")
@user_errors
def models_list(
    unit: Annotated[str | None, typer.Option("--unit", help="Mã đơn vị")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Trạng thái")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Năm")] = None,
) -> None:
    """Danh sách mô hình."""
    from danvan_workflow.services.models_dvk import view_models

    items = view_models(unit=unit, state=state, year=year)
    table = Table(title='Mô hình "Dân vận khéo"')
    for col in ("Số", "Tên", "Đơn vị", "Năm", "Bắt đầu", "Trạng thái"):
        table.add_column(col)
    for m in items:
        table.add_row(str(m.id), m.name, m.unit_code, str(m.year), _d(m.start_on), m.state_label)
    console.print(table)
    console.print(f"Tổng: {len(items)} mô hình.")


@models_app.command("quota")
@user_errors
def models_quota(
    plan: Annotated[str, typer.Option("--plan", help="Số kế hoạch")],
    year: Annotated[int | None, typer.Option("--year", help="Năm")] = None,
) -> None:
    """Số mô hình đã đăng ký so với chỉ tiêu tối thiểu."""
    from danvan_workflow.services.models_dvk import view_quota

    rep = view_quota(plan, year or today().year)
    table = Table(title=f"Đăng ký mô hình năm {rep.year} – {rep.plan_code}")
    for col in ("Đơn vị", "Tên", "Tối thiểu", "Đã đăng ký", "Còn thiếu"):
        table.add_column(col)
    for line in rep.lines:
        table.add_row(line.unit_code, line.unit_name, str(line.required), str(line.registered),
                      str(line.short_by) if line.short_by else "—")
    console.print(table)
    console.print(f"Đơn vị chưa đủ: {len(rep.short)}/{len(rep.lines)}.")


# --------------------------------------------------------------------------- reports


@reports_app.command("submit")
@user_errors
def reports_submit(
    received: Annotated[str, typer.Option("--received", help="Ngày nhận báo cáo")],
    deadline: Annotated[int | None, typer.Option("--deadline", help="Số hạn báo cáo")] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="Số kế hoạch")] = None,
    obligation: Annotated[str | None, typer.Option("--obligation", help="Mã nghĩa vụ")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Mã đơn vị báo cáo")] = None,
    period: Annotated[str | None, typer.Option("--period", help="Kỳ, ví dụ 2026-H1")] = None,
    number: Annotated[str | None, typer.Option("--number", help="Số văn bản")] = None,
    attachment: Annotated[str | None, typer.Option("--attachment", help="Tệp đính kèm")] = None,
    actor: Actor = None,
) -> None:
    """Ghi nhận một báo cáo đã nhận."""
    from danvan_workflow.commands.reports import RecordSubmission
    from danvan_workflow.services.reports import record_submission

    received_on = _req_date(received, "--received")
    res = record_submission(_command(
        RecordSubmission, deadline_id=deadline, plan=plan, obligation=obligation, unit=unit,
        period=period, received_on=received_on, document_number=number,
        operator=_actor(actor), attachment=attachment))
    console.print(res.message, highlight=False)


@reports_app.command("waive")
@user_errors
def reports_waive(
    deadline: Annotated[int, typer.Argument(help="Số hạn báo cáo")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do miễn nộp")],
    actor: Actor = None,
) -> None:
    """Miễn nộp một báo cáo."""
    from danvan_workflow.commands.reports import ChangeDeadline
    from danvan_workflow.services.reports import change_deadline

    res = change_deadline(_command(ChangeDeadline, deadline_id=deadline, action="mien",
                                   reason=reason, operator=_actor(actor)))
    console.print(f"Đã miễn nộp: {res.unit_code} – {res.period_label}. Trạng thái: "
                  f"{res.status_text}.", highlight=False)


@reports_app.command("word")
@user_errors
def reports_word(
    output: Annotated[Path, typer.Option("--output", "-o", help="Tệp Word (.docx)")],
    kind: Annotated[str, typer.Option(
        "--kind", help="ke_hoach | ky_bao_cao | kiem_tra | thi_dua | chi_tieu | dia_ban")]
    = "ke_hoach",
    plan: Annotated[str | None, typer.Option("--plan", help="Số kế hoạch")] = None,
    period: Annotated[str | None, typer.Option("--period", help="Mã kỳ (ky_bao_cao)")] = None,
    round_code: Annotated[str | None, typer.Option("--round", help="Mã đợt kiểm tra")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Năm (thi_dua, chi_tieu)")] = None,
    scorer: Annotated[str | None, typer.Option("--scorer", help="Đơn vị chấm điểm")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Đơn vị ban hành (dia_ban)")]
    = None,
    on: Annotated[str | None, typer.Option("--on", help="Tính đến ngày (dd/mm/yyyy)")] = None,
) -> None:
    """Báo cáo Word (.docx) có thể thức văn bản, điền từ số liệu đã ghi nhận."""
    from danvan_workflow.commands.reports import ExportWordReport
    from danvan_workflow.services import word_reports

    cmd = _command(ExportWordReport, kind=kind, plan=plan, period=period,
                   round_code=round_code, year=year, scorer=scorer, issuer=issuer, on=on)
    console.print(f"Đã ghi báo cáo: {word_reports.export(cmd, output)}", highlight=False)


@reports_app.command("excel")
@user_errors
def reports_excel(
    plan: Annotated[str, typer.Option("--plan", help="Số kế hoạch")],
    year: Annotated[int, typer.Option("--year", help="Năm")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Tệp Excel (.xlsx)")],
) -> None:
    """Sổ Excel một năm của kế hoạch: hạn báo cáo, theo đơn vị, chỉ tiêu mô hình, điểm thi đua."""
    from danvan_workflow.services.excel_export import plan_workbook

    if not 2000 <= year <= 2099:
        raise UserError("năm phải từ 2000 đến 2099", field="--year")
    console.print(f"Đã ghi: {plan_workbook(plan, year, output)}", highlight=False)


@reports_app.command("revoke")
@user_errors
def reports_revoke(
    deadline: Annotated[int, typer.Argument(help="Số hạn báo cáo đã gia hạn hoặc miễn nộp")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do hủy")],
    actor: Actor = None,
) -> None:
    """Hủy lần gia hạn hoặc miễn nộp ghi nhầm (trở lại như trước đó)."""
    from danvan_workflow.commands.reports import ChangeDeadline
    from danvan_workflow.services.reports import change_deadline

    res = change_deadline(_command(ChangeDeadline, deadline_id=deadline, action="huy",
                                   reason=reason, operator=_actor(actor)))
    console.print(f"Đã hủy gia hạn/miễn nộp: {res.unit_code} – {res.period_label}: hạn "
                  f"{_d(res.due_on)}. Trạng thái: {res.status_text}.", highlight=False)


@reports_app.command("withdraw")
@user_errors
def reports_withdraw(
    deadline: Annotated[int, typer.Argument(help="Số hạn báo cáo đã ghi nhận nộp")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do rút lại")],
    actor: Actor = None,
) -> None:
    """Rút lại một báo cáo đã ghi nhận nhầm (hạn báo cáo chờ nộp trở lại)."""
    from danvan_workflow.commands.reports import WithdrawSubmission
    from danvan_workflow.services.reports import withdraw_submission

    res = withdraw_submission(_command(WithdrawSubmission, deadline_id=deadline, reason=reason,
                                       operator=_actor(actor)))
    console.print(f"Đã rút lại báo cáo nhận ngày {res.received_on:%d/%m/%Y} của "
                  f"{res.unit_code} – {res.period_label}. Trạng thái: {res.status_label}.",
                  highlight=False)


@reports_app.command("extend")
@user_errors
def reports_extend(
    deadline: Annotated[int, typer.Argument(help="Số hạn báo cáo")],
    new_due: Annotated[str, typer.Option("--to", help="Hạn mới")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do gia hạn")],
    actor: Actor = None,
) -> None:
    """Gia hạn một báo cáo."""
    from danvan_workflow.commands.reports import ChangeDeadline
    from danvan_workflow.services.reports import change_deadline

    day = _req_date(new_due, "--to")
    res = change_deadline(_command(ChangeDeadline, deadline_id=deadline, action="gia_han",
                                   new_due=day, reason=reason, operator=_actor(actor)))
    console.print(f"Đã gia hạn: {res.unit_code} – {res.period_label}: hạn mới {_d(res.due_on)} "
                  f"(hạn gốc {_d(res.original_due_on)}). Trạng thái: {res.status_text}.",
                  highlight=False)


@reports_app.command("request")
@user_errors
def reports_request(
    plan: Annotated[str, typer.Option("--plan", help="Số kế hoạch")],
    units: Annotated[list[str], typer.Option("--unit", help="Mã đơn vị (lặp lại được)")],
    due: Annotated[str, typer.Option("--due", help="Hạn nộp")],
    title: Annotated[str, typer.Option("--title", help="Nội dung yêu cầu")],
    obligation: Annotated[str | None, typer.Option("--obligation", help="Mã nghĩa vụ")] = None,
    actor: Actor = None,
) -> None:
    """Yêu cầu các đơn vị báo cáo (báo cáo khi có yêu cầu)."""
    from danvan_workflow.commands.reports import RequestReport
    from danvan_workflow.services.reports import request_ad_hoc_report

    day = _req_date(due, "--due")
    res = request_ad_hoc_report(_command(RequestReport, plan=plan, obligation=obligation,
                                         units=units, due_on=day, title=title,
                                         operator=_actor(actor)))
    console.print(f"Đã tạo {len(res.deadline_ids)} hạn báo cáo ({res.period_key}), hạn "
                  f"{_d(res.due_on)}.", highlight=False)


# --------------------------------------------------------------------------- inspections


@inspections_app.command("create")
@user_errors
def inspections_create(
    plan: Annotated[str, typer.Option("--plan", help="Số kế hoạch")],
    kind: Annotated[str, typer.Option("--kind", help="mid_year | year_end | ad_hoc")],
    year: Annotated[int, typer.Option("--year", help="Năm")],
    title: Annotated[str, typer.Option("--title", help="Tên đợt kiểm tra")],
    teams: Annotated[Path, typer.Option("--teams", help="Tệp YAML/JSON: danh sách tổ kiểm tra")],
    due: Annotated[str | None, typer.Option("--due", help="Hạn báo cáo kết quả")] = None,
    code: Annotated[str | None, typer.Option("--code", help="Mã đợt")] = None,
    actor: Actor = None,
) -> None:
    """Tạo đợt kiểm tra với các tổ và đơn vị được kiểm tra."""
    from danvan_workflow.commands.inspections import OpenInspectionRound
    from danvan_workflow.services.inspections import create_inspection_round

    data = _read_data(teams, "--teams")
    if isinstance(data, dict) and "teams" in data:
        data = data["teams"]
    if not isinstance(data, list):
        raise UserError("tệp phải là danh sách tổ kiểm tra (name, members, visits)",
                        field="--teams")
    res = create_inspection_round(_command(
        OpenInspectionRound, plan=plan, kind=kind, year=year, title=title,
        report_due_on=parse_date(due, "--due"), teams=data, operator=_actor(actor), code=code))
    console.print(f"Đã tạo đợt kiểm tra [bold]{res.code}[/]: {res.teams} tổ, {res.visits} lượt; "
                  f"hạn báo cáo {_d(res.report_due_on)}.", highlight=False)


@inspections_app.command("record")
@user_errors
def inspections_record(
    round_code: Annotated[str, typer.Argument(help="Mã đợt kiểm tra")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị")],
    result: Annotated[str, typer.Option("--result", help="dat | khong_dat | xuat_sac")],
    model: Annotated[int | None, typer.Option("--model", help="Số mô hình")] = None,
    findings: Annotated[str | None, typer.Option("--findings", help="Nhận xét")] = None,
    visit_on: Annotated[str | None, typer.Option("--on", help="Ngày kiểm tra")] = None,
    actor: Actor = None,
) -> None:
    """Ghi kết quả kiểm tra một đơn vị / mô hình."""
    from danvan_workflow.commands.inspections import RecordInspectionResult
    from danvan_workflow.services.inspections import record_inspection_result

    day = parse_date(visit_on, "--on")
    res = record_inspection_result(_command(
        RecordInspectionResult, round_code=round_code, unit=unit, model_id=model,
        result=result, findings=findings, visit_on=day, operator=_actor(actor)))
    console.print(f"Đã ghi kết quả '{res.result_label}' cho {res.unit_code}.", highlight=False)


@inspections_app.command("status")
@user_errors
def inspections_status(round_code: Annotated[str, typer.Argument(help="Mã đợt kiểm tra")]) -> None:
    """Tình hình một đợt kiểm tra: đơn vị đã/chưa có kết quả, thời gian còn lại."""
    from danvan_workflow.services.inspections import view_round_status

    st = view_round_status(round_code, today())
    table = Table(title=f"{st.title} ({st.code})")
    for col in ("Tổ", "Đơn vị", "Mô hình", "Ngày", "Kết quả"):
        table.add_column(col)
    for v in st.visits:
        table.add_row(v.team, v.unit_code, v.model_name or "—", _d(v.visit_on), v.result_label)
    console.print(table)
    console.print(f"Đã có kết quả {len(st.done)}/{len(st.visits)}; hạn báo cáo "
                  f"{_d(st.report_due_on)} ({st.days_left_text}).", highlight=False)


# --------------------------------------------------------------------------- scores


@scores_app.command("record")
@user_errors
def scores_record(
    plan: Annotated[str, typer.Option("--plan", help="Số kế hoạch")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị được chấm")],
    year: Annotated[int, typer.Option("--year", help="Năm")],
    criterion: Annotated[str, typer.Option("--criterion", help="Mã tiêu chí")],
    points: Annotated[str, typer.Option("--points", help="Điểm")],
    bonus: Annotated[str, typer.Option("--bonus", help="Điểm thưởng")] = "0",
    actor: Actor = None,
) -> None:
    """Ghi điểm một tiêu chí cho một đơn vị."""
    from danvan_workflow.commands.scores import RecordScore
    from danvan_workflow.services.scores import score_criterion

    res = score_criterion(_command(RecordScore, plan=plan, unit=unit, year=year,
                                   criterion=criterion, points=points, bonus=bonus,
                                   operator=_actor(actor)))
    console.print(f"Đã ghi điểm {res.criterion_code} cho {res.unit_code}: {res.points}"
                  + (f" + {res.bonus} thưởng" if res.bonus else "") + ".", highlight=False)


def _rank_table(title: str, lines: list[Any]) -> Table:
    table = Table(title=title)
    for col in ("Hạng", "Đơn vị", "Tên", "Tổng điểm", "Xếp loại"):
        table.add_column(col)
    for r in lines:
        table.add_row(str(r.rank), r.unit_code, r.unit_name, str(r.total), r.classification or "—")
    return table


@scores_app.command("rank")
@user_errors
def scores_rank(
    plan: Annotated[str, typer.Option("--plan", help="Số kế hoạch")],
    year: Annotated[int, typer.Option("--year", help="Năm")],
) -> None:
    """Tổng điểm, xếp loại và xếp hạng."""
    from danvan_workflow.services.scores import view_ranking

    lines = view_ranking(plan, year)
    console.print(_rank_table(f"Xếp hạng thi đua năm {year}", lines))


@scores_app.command("aggregate")
@user_errors
def scores_aggregate(
    plan: Annotated[str, typer.Option("--plan", help="Số kế hoạch")],
    year: Annotated[int, typer.Option("--year", help="Năm")],
    scorer: Annotated[str, typer.Option("--scorer", help="Mã cơ quan chấm điểm")],
) -> None:
    """Tổng hợp điểm của một cơ quan chấm điểm; đơn vị chưa được chấm."""
    from danvan_workflow.services.scores import view_aggregate

    res = view_aggregate(plan, year, scorer)
    console.print(_rank_table(f"{res.scorer_name}: tổng hợp điểm năm {year}", res.scored))
    if res.not_scored:
        console.print("Chưa chấm: " + ", ".join(
            c + (" (giả định)" if c in res.assumed else "") for c, _ in res.not_scored),
            highlight=False)
    if res.assumed:
        console.print("Đơn vị đánh dấu (giả định): kế hoạch không nêu tên, hệ thống suy ra; cần "
                      "đối chiếu danh sách thật.", highlight=False)
    console.print(f"Hạn gửi kết quả: {_d(res.due_on)}.", highlight=False)


# --------------------------------------------------------------------------- targets


@targets_app.command("record")
@user_errors
def targets_record(
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị")],
    fact: Annotated[str, typer.Option("--fact", help="Tên sự kiện, ví dụ plan_disseminated")],
    year: Annotated[int, typer.Option("--year", help="Năm")],
    value: Annotated[bool, typer.Option("--yes/--no", help="Có / không")] = True,
    actor: Actor = None,
) -> None:
    """Ghi nhận một sự kiện của đơn vị (ví dụ đã phổ biến kế hoạch)."""
    from danvan_workflow.commands.targets import RecordUnitFact
    from danvan_workflow.services.targets import record_unit_fact

    res = record_unit_fact(_command(RecordUnitFact, unit=unit, fact=fact, year=year,
                                    value=value, operator=_actor(actor)))
    word = "có" if res.value else "không"
    console.print(f"Đã ghi: {res.unit_code} – {res.fact} ({res.year}): {word}.", highlight=False)


@targets_app.command("status")
@user_errors
def targets_status(
    plan: Annotated[str, typer.Option("--plan", help="Số kế hoạch")],
    year: Annotated[int, typer.Option("--year", help="Năm")],
) -> None:
    """Tình hình thực hiện chỉ tiêu."""
    from danvan_workflow.services.targets import view_targets

    rep = view_targets(plan, year)
    table = Table(title=f"Chỉ tiêu năm {year} – {rep.plan_code}")
    for col in ("Mã", "Chỉ tiêu", "Kết quả", "Đơn vị chưa đạt"):
        table.add_column(col)
    for t in rep.lines:
        table.add_row(t.code, t.title, t.note or t.summary,
                      ", ".join(c for c, _ in t.missing) or "—")
    console.print(table)


# --------------------------------------------------------------------------- status


def status_cmd(
    unit: Annotated[str | None, typer.Option("--unit", help="Mã đơn vị")] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="Số kế hoạch")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Tính đến ngày (mặc định hôm nay)")]
    = None,
) -> None:
    """Tóm tắt tình hình một đơn vị hoặc một kế hoạch."""
    from danvan_workflow.core.deadline_status import DeadlineState
    from danvan_workflow.core.lifecycle import State
    from danvan_workflow.services.status import view_plan_status, view_unit_status

    if bool(unit) == bool(plan):
        raise UserError("chọn đúng một trong --unit hoặc --plan", field="--unit")
    day = parse_date(on, "--on") or today()
    st = view_unit_status(unit, day) if unit else view_plan_status(plan or "", day)
    console.print(f"[bold]{st.name}[/] ({st.code}) – ngày {_d(st.today)}", highlight=False)
    labels = {s.value: s.label for s in DeadlineState}
    counts = ", ".join(f"{labels.get(k, k)}: {v}" for k, v in sorted(st.counts.items()))
    console.print(f"Hạn báo cáo – {counts or 'chưa có'}", highlight=False)
    from danvan_workflow.core.ontime import rate_text

    rate = rate_text(st.on_time_rate)
    console.print(f"Tỷ lệ nộp đúng hạn: {rate}", highlight=False)
    for title, items in (("Quá hạn", st.overdue), ("Sắp đến hạn (14 ngày)", st.upcoming)):
        table = Table(title=f"{title}: {len(items)}")
        for col in ("Hạn", "Đơn vị", "Nội dung", "Kỳ"):
            table.add_column(col)
        for d in items:
            table.add_row(_d(d.due_on), d.reporter_code, d.title, d.period_label)
        console.print(table)
    if st.continuous_tasks:
        console.print("Nhiệm vụ thường xuyên:", highlight=False)
        for t in st.continuous_tasks:
            console.print(f"  • {t}", highlight=False)
    if st.models:
        console.print("Mô hình: " + ", ".join(f"{State(k).label}: {v}"
                                              for k, v in sorted(st.models.items())),
                      highlight=False)
    for line in st.quota_short:
        console.print(f"Chưa đủ mô hình: {line.unit_code} đăng ký {line.registered}/"
                      f"{line.required} (thiếu {line.short_by})", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
    app.add_typer(reports_app, name="reports")
    app.add_typer(inspections_app, name="inspections")
    app.add_typer(scores_app, name="scores")
    app.add_typer(targets_app, name="targets")
    app.command("status")(user_errors(status_cmd))
