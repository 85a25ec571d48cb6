"""`danvan`: the command line. Messages in Vietnamese; exit 0 ok, 1 user error, 2 usage."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from danvan_workflow.cli.app import console, get_settings, parse_date, stdout_utf8, user_errors
from danvan_workflow.errors import UserError
from danvan_workflow.timeutil import today

app = typer.Typer(help="danvan-workflow: hạn báo cáo và quy trình công tác dân vận.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
config_app = typer.Typer(help="Cấu hình (đơn vị, kế hoạch, lịch...).", no_args_is_help=True)
units_app = typer.Typer(help="Đơn vị.", no_args_is_help=True)
plans_app = typer.Typer(help="Kế hoạch.", no_args_is_help=True)
rules_app = typer.Typer(help="Quy tắc tính hạn.", no_args_is_help=True)
deadlines_app = typer.Typer(help="Hạn báo cáo.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(units_app, name="units")
app.add_typer(plans_app, name="plans")
app.add_typer(rules_app, name="rules")
app.add_typer(deadlines_app, name="deadlines")
year_app = typer.Typer(help="Năm làm việc: chuẩn bị sang năm mới.", no_args_is_help=True)
app.add_typer(year_app, name="year")


@year_app.command("check")
@user_errors
def year_check(year: Annotated[int, typer.Argument(help="Năm cần kiểm tra, ví dụ 2027")]) -> None:
    """Những gì năm mới cần: lịch nghỉ đã xác nhận, kế hoạch, đầu mối nhận thông báo."""
    from danvan_workflow.services.year_check import year_check as check

    if not 2000 <= year <= 2099:
        raise UserError("năm phải từ 2000 đến 2099", field="YEAR")
    r = check(year)
    ok, no = "[green]✓[/]", "[red]✗[/]"
    if r.calendar_confirmed is None:
        console.print(f"{no} Chưa có lịch ngày nghỉ, ngày làm bù năm {year} "
                      f"(config/calendar/{year}.yaml).", highlight=False)
    elif not r.calendar_confirmed:
        console.print(f"{no} Lịch năm {year} chưa xác nhận theo văn bản của Chính phủ.",
                      highlight=False)
    else:
        console.print(f"{ok} Lịch năm {year} đã xác nhận: {'; '.join(r.calendar_documents)}",
                      highlight=False)
    mark = ok if r.plans and not r.drafts else no
    console.print(f"{mark} Kế hoạch áp dụng năm {year}: {len(r.plans)}; hạn báo cáo: "
                  f"{r.deadlines}.", highlight=False)
    for code, title in r.plans:
        console.print(f"    {code}: {title}", highlight=False)
    for code in r.drafts:
        console.print(f"{no} {code} còn là dự thảo: thay bằng số kế hoạch mới, ngày ban hành.",
                      highlight=False)
    mark = ok if not r.unreachable_units else no
    console.print(f"{mark} Đơn vị có nhiệm vụ năm {year} nhưng không có đầu mối nhận thông báo: "
                  f"{len(r.unreachable_units)}", highlight=False)
    for code, name in r.unreachable_units[:50]:
        console.print(f"    {name} ({code})", highlight=False)
    mark = ok if not r.contacts_without_channel else no
    console.print(f"{mark} Đầu mối chưa có kênh gửi: {len(r.contacts_without_channel)}",
                  highlight=False)
    for code, name in r.contacts_without_channel[:50]:
        console.print(f"    {name} ({code})", highlight=False)
    console.print("Sẵn sàng cho năm mới." if r.ready else "Còn việc cần làm trước khi sang năm "
                  "mới (các dòng ✗).", highlight=False)


def _config_dir(path: Path | None) -> Path:
    return path or get_settings().config_dir


@db_app.command("upgrade")
@user_errors
def db_upgrade() -> None:
    """Nâng cấp lược đồ cơ sở dữ liệu lên phiên bản mới nhất."""
    from danvan_workflow.db.migrate import current_revision, head_revision, upgrade
    from danvan_workflow.db.session import get_engine

    url = get_settings().db_url
    before = current_revision(get_engine())
    if before is not None and before == head_revision():
        console.print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất ({before}), không cần nâng cấp.",
                      highlight=False)
        return
    upgrade(url)
    after = current_revision(get_engine())
    if before is None:
        console.print(f"Đã khởi tạo cơ sở dữ liệu ở phiên bản {after} (mới nhất).", highlight=False)
    else:
        console.print(f"Đã nâng cấp cơ sở dữ liệu từ phiên bản {before} lên phiên bản {after} "
                      "(mới nhất).", highlight=False)


@config_app.command("check")
@user_errors
def config_check(path: Annotated[Path | None, typer.Argument(help="Thư mục cấu hình")] = None,
                 ) -> None:
    """Kiểm tra cấu hình, không ghi gì."""
    from danvan_workflow.services.config import check

    b = check(_config_dir(path))
    console.print(f"Cấu hình hợp lệ: {len(b.units)} đơn vị, {len(b.contacts)} đầu mối, "
                  f"{len(b.plans)} kế hoạch, {len(b.calendar)} ngày nghỉ/làm bù.")
    _print_warnings(b.warnings)


def _print_warnings(warnings: list[str]) -> None:
    for w in warnings:
        console.print(f"Lưu ý: {w}", highlight=False, markup=False)


@config_app.command("load")
@user_errors
def config_load(path: Annotated[Path | None, typer.Argument(help="Thư mục cấu hình")] = None,
                ) -> None:
    """Nạp cấu hình vào cơ sở dữ liệu (một giao dịch; lỗi thì không ghi gì)."""
    from danvan_workflow.configuration.apply import LABELS
    from danvan_workflow.services.config import load

    res = load(_config_dir(path), actor=get_settings().operator)
    _print_warnings(res.bundle.warnings)
    if not res.report.any:
        console.print("Cấu hình không thay đổi: không ghi gì.")
        return
    table = Table(title="Thay đổi cấu hình")
    for col in ("Mục", "Thêm", "Sửa", "Xóa", "Lưu trữ", "Khôi phục"):
        table.add_column(col)
    for name, ch in res.report.tables.items():
        if ch.any:
            table.add_row(LABELS.get(name, name), str(len(ch.added)), str(len(ch.changed)),
                          str(len(ch.removed)), str(len(ch.archived)), str(len(ch.restored)))
    console.print(table)
    for name, ch in res.report.tables.items():
        for verb, items in (("+", ch.added), ("~", ch.changed), ("-", ch.removed)):
            for item in items[:15]:
                console.print(f"  {verb} {LABELS.get(name, name)}: {item}", highlight=False)
            if len(items) > 15:
                console.print(f"  {verb} … và {len(items) - 15} mục khác", highlight=False)
    for note in res.report.notes[:40]:
        console.print(note, highlight=False, soft_wrap=True)
    if len(res.report.notes) > 40:
        console.print(f"… và {len(res.report.notes) - 40} mục lưu trữ/khôi phục khác "
                      "(xem nhật ký thao tác).", highlight=False)
    if any(ch.archived for ch in res.report.tables.values()):
        console.print("Mục lưu trữ (không còn trong config/) vẫn giữ nguyên hạn, báo cáo đã nộp "
                      "và thông báo; không nhắc hạn, không tạo hạn mới. Đưa tệp trở lại để khôi "
                      "phục; xóa hẳn: danvan plans delete / danvan units delete.",
                      highlight=False, soft_wrap=True)
    if res.materialised:
        m = res.materialised
        console.print(f"Hạn báo cáo: thêm {m.inserted}, dời {m.moved}, hủy {m.cancelled}.")


AllOption = Annotated[bool, typer.Option("--all", help="Kể cả mục đã lưu trữ")]


def _archived_mark(at: dt.datetime | None) -> str:
    return f" (đã lưu trữ {at:%d/%m/%Y})" if at else ""


@units_app.command("list")
@user_errors
def units_list(show_all: AllOption = False) -> None:
    """Danh sách đơn vị."""
    from danvan_workflow.services.views import view_units

    rows = view_units(show_all)
    table = Table(title="Đơn vị")
    for col in ("Mã", "Tên", "Loại", "Cấp", "Cấp trên"):
        table.add_column(col)
    for u in rows:
        table.add_row(u.code, u.name + (" (giả định)" if u.assumed else "")
                      + _archived_mark(u.archived_at), u.kind, u.level, u.parent_code or "")
    console.print(table)
    console.print(f"Tổng: {len(rows)} đơn vị.")


@plans_app.command("list")
@user_errors
def plans_list(show_all: AllOption = False) -> None:
    """Danh sách kế hoạch."""
    from danvan_workflow.services.views import view_plans

    rows = view_plans(show_all)
    table = Table(title="Kế hoạch")
    for col in ("Số", "Tên", "Cơ quan ban hành", "Ngày", "Năm", "Nhiệm vụ", "Nghĩa vụ BC"):
        table.add_column(col)
    for p in rows:
        table.add_row(p.code, p.title + _archived_mark(p.archived_at), p.issuer_name,
                      p.issued_on.strftime("%d/%m/%Y") if p.issued_on else "—", str(p.year),
                      str(p.tasks), str(p.obligations))
    console.print(table)
    console.print(f"Tổng: {len(rows)} kế hoạch.")


@rules_app.command("explain")
@user_errors
def rules_explain(phrase: Annotated[str, typer.Argument(help='Ví dụ: "trước ngày 20/11 hằng năm"')],
                  count: Annotated[int, typer.Option(help="Số hạn kế tiếp cần xem")] = 5,
                  ) -> None:
    """Giải thích một cụm từ về thời hạn, hạn gần nhất đã qua và các hạn kế tiếp."""
    from rich.markup import escape

    from danvan_workflow.core.occurrences import explain_schedule
    from danvan_workflow.core.phrases import parse_phrase
    from danvan_workflow.services.calendar import working_calendar

    if count < 1:
        raise UserError("số hạn cần xem phải từ 1 trở lên", field="--count")
    rules = parse_phrase(phrase)
    cal = working_calendar()
    by_shift = get_settings().engine.by_shift
    for rule in rules:
        shape = json.dumps(rule.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
        console.print(f"[bold]Quy tắc:[/] {escape(shape)}", highlight=False, soft_wrap=True)
        for line in explain_schedule(rule, cal, today(), count=count, by_shift=by_shift):
            console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)


@deadlines_app.command("feed")
@user_errors
def deadlines_feed(
    unit: Annotated[str, typer.Option(help="Mã đơn vị báo cáo")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Ghi ra tệp .ics")] = None,
    url: Annotated[bool, typer.Option("--url", help="In địa chỉ để đăng ký lịch")] = False,
) -> None:
    """Lịch (.ics) của một đơn vị: các hạn còn phải nộp (quá hạn và sắp đến)."""
    if url:
        from danvan_workflow.services.feeds import feed_url

        console.print(feed_url(unit), highlight=False, soft_wrap=True)
        return
    from danvan_workflow.adapters.exporters.ics import to_ics
    from danvan_workflow.services.queries import view_unit_feed

    _emit(to_ics(view_unit_feed(unit)), output)


@deadlines_app.command("list")
@user_errors
def deadlines_list(
    date_from: Annotated[str | None, typer.Option("--from", help="Từ ngày (dd/mm/yyyy)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Đến ngày (dd/mm/yyyy)")] = None,
    unit: Annotated[str | None, typer.Option(help="Mã đơn vị báo cáo")] = None,
    plan: Annotated[str | None, typer.Option(help="Số kế hoạch")] = None,
    status: Annotated[str | None, typer.Option(help="Trạng thái")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json | ics | xlsx")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Ghi ra tệp")] = None,
) -> None:
    """Liệt kê hạn báo cáo."""
    from danvan_workflow.core.vietnamese import weekday_name
    from danvan_workflow.services.calendar import may_move, unconfirmed_note
    from danvan_workflow.services.queries import STATUS_LABELS, view_deadlines

    if fmt not in ("table", "json", "ics", "xlsx"):
        raise UserError("định dạng phải là table, json, ics hoặc xlsx", field="--format")
    if fmt == "xlsx" and output is None:
        raise UserError("cần --output TỆP.xlsx khi xuất Excel", field="--output")
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if start and end and end < start:
        raise UserError("'--to' phải sau '--from'", field="--to")
    listed = view_deadlines(start=start, end=end, unit=unit, plan=plan, status=status,
                            include_continuous=fmt == "table")
    items, cal = listed.items, listed.calendar
    if fmt == "json":
        data = json.dumps({"deadlines": [d.as_json() for d in items]}, ensure_ascii=False,
                          indent=2)
        _emit(data.encode("utf-8"), output)
        return
    if fmt == "ics":
        from danvan_workflow.adapters.exporters.ics import to_ics

        _emit(to_ics(items), output)
        return
    if fmt == "xlsx":
        from danvan_workflow.services.excel_export import deadlines_workbook

        assert output is not None
        console.print(f"Đã ghi {len(items)} hạn báo cáo: {deadlines_workbook(items, output)}",
                      highlight=False)
        return
    table = Table(title="Hạn báo cáo")
    for col in ("Số", "Hạn", "Thứ", "Còn/Quá", "Trạng thái", "Đơn vị báo cáo", "Nội dung",
                "Kỳ", "Kế hoạch"):
        table.add_column(col)
    t = today()
    for d in items:
        span = d.span_text()
        due = d.due_on.strftime("%d/%m/%Y") if d.due_on else "Thường xuyên"
        if may_move(cal, d.due_on, t):
            due += "*"  # explained under the table
        table.add_row(str(d.id), due,
                      weekday_name(d.due_on) if d.due_on else "", d.left_text(t, cal),
                      STATUS_LABELS.get(d.status, d.status), d.reporter_code, d.title,
                      f"{d.period_label} ({span})" if span else d.period_label, d.plan_code)
    console.print(table)
    console.print(f"Tổng: {len(items)} hạn.")
    note = unconfirmed_note(cal, (d.due_on for d in items), t)
    if note:
        console.print(f"(*) {note}", highlight=False, markup=False)


def _emit(data: bytes, output: Path | None) -> None:
    if output:
        output.write_bytes(data)
        console.print(f"Đã ghi {output}.")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()


def _register_sub_apps() -> None:
    """Sub-commands that live in their own modules (domain actions, notify, engine)."""
    from danvan_workflow.cli import archive, backup, calendar, domain, engine, notify, zalo

    for mod in (domain, notify, engine, calendar, backup, zalo):
        mod.register(app)
    archive.register(plans=plans_app, units=units_app, deadlines=deadlines_app)


_register_sub_apps()


def run() -> None:
    stdout_utf8()
    app()


if __name__ == "__main__":
    run()
