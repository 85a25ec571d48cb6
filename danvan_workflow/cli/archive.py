"""`danvan plans delete`, `danvan units delete`, `danvan deadlines close-year`.

Deleting recorded facts is never a side effect of a config load: a plan or unit that
left config/ is archived, and only these commands delete it, with its code retyped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from danvan_workflow.cli.app import console, get_settings, parse_command, user_errors
from danvan_workflow.errors import UserError

Confirm = Annotated[str | None, typer.Option(
    "--xac-nhan", help="Gõ lại đúng mã để xác nhận xóa hẳn")]
Actor = Annotated[str | None, typer.Option("--actor", help="Người thực hiện")]


def _delete(kind: str, code: str, confirm: str | None, actor: str | None) -> None:
    from danvan_workflow.commands.archive import DeletePlan, DeleteUnit
    from danvan_workflow.services import archive

    options = {"code": code, "confirm": confirm, "operator": actor or get_settings().operator}
    try:
        if kind == "plan":
            res = archive.delete_archived_plan(parse_command(DeletePlan, options))
        else:
            res = archive.delete_archived_unit(parse_command(DeleteUnit, options))
    except archive.DeletionUnconfirmed as exc:
        preview = exc.preview
        word = archive.KIND_WORDS[kind]
        console.print(f"Xóa hẳn {word} {code} ({preview.name}) sẽ xóa:", highlight=False)
        for line in preview.lines():
            console.print(line, highlight=False)
        console.print("Trước khi xóa, toàn bộ dữ liệu trên được xuất ra tệp JSON trong thư mục "
                      "dữ liệu (var/exports).", highlight=False)
        sub = "plans" if kind == "plan" else "units"
        what = "chưa xác nhận" if confirm is None else f"mã xác nhận '{confirm}' không khớp"
        raise UserError(f"{what}: để xóa hẳn, chạy lại với --xac-nhan {code} (danvan {sub} "
                        f"delete {code} --xac-nhan {code})", field="--xac-nhan") from None
    console.print(res.message, highlight=False, soft_wrap=True)


def plans_delete(
    code: Annotated[str, typer.Argument(help="Số kế hoạch (đã lưu trữ)")],
    confirm: Confirm = None,
    actor: Actor = None,
) -> None:
    """Xóa hẳn một kế hoạch đã lưu trữ (xuất dữ liệu ra tệp trước khi xóa)."""
    _delete("plan", code, confirm, actor)


def units_delete(
    code: Annotated[str, typer.Argument(help="Mã đơn vị (đã lưu trữ)")],
    confirm: Confirm = None,
    actor: Actor = None,
) -> None:
    """Xóa hẳn một đơn vị đã lưu trữ (xuất dữ liệu ra tệp trước khi xóa)."""
    _delete("unit", code, confirm, actor)


def deadlines_close_year(
    year: Annotated[int, typer.Argument(help="Năm cần đóng, ví dụ 2024")],
    reason: Annotated[str | None, typer.Option("--reason", help="Lý do đóng (bắt buộc)")]
    = None,
    actor: Actor = None,
) -> None:
    """Đóng các hạn chưa nộp của một năm đã qua (trạng thái "Đã đóng (không nộp)")."""
    from danvan_workflow.commands.archive import CloseYear
    from danvan_workflow.services.archive import close_past_year

    res = close_past_year(parse_command(CloseYear, {
        "year": year, "reason": reason, "operator": actor or get_settings().operator}))
    console.print(res.message, highlight=False, soft_wrap=True)


def plans_roll(
    code: Annotated[str, typer.Argument(help="Số kế hoạch cần chuyển sang năm mới")],
    year: Annotated[int, typer.Option("--year", help="Năm của kế hoạch mới, ví dụ 2027")],
    path: Annotated[Path | None, typer.Option("--config", help="Thư mục cấu hình")] = None,
    actor: Actor = None,
) -> None:
    """Tạo dự thảo kế hoạch năm mới từ kế hoạch năm nay (tệp trong thư mục cấu hình)."""
    from danvan_workflow.commands.archive import RollPlan
    from danvan_workflow.services.rollover import roll_plan

    cmd = parse_command(RollPlan, {"code": code, "year": year,
                                   "operator": actor or get_settings().operator})
    res = roll_plan(cmd, path or get_settings().config_dir)
    console.print(res.message, highlight=False, soft_wrap=True)


def units_template(
    output: Annotated[Path, typer.Option("--output", "-o", help="Tệp mẫu (.xlsx)")] = Path(
        "mau-don-vi-dau-moi.xlsx"),
) -> None:
    """Tạo tệp Excel mẫu để nhập danh sách đơn vị và đầu mối."""
    from danvan_workflow.services.workbook_import import template

    console.print(f"Đã tạo tệp mẫu: {template(output)}", highlight=False)


def units_import(
    path: Annotated[Path, typer.Argument(help="Tệp Excel theo mẫu (.xlsx)")],
    config_dir: Annotated[Path | None, typer.Option("--config", help="Thư mục cấu hình")]
    = None,
    actor: Actor = None,
) -> None:
    """Nạp danh sách đơn vị và đầu mối từ tệp Excel theo mẫu (lỗi ghi rõ trang:dòng:cột)."""
    from danvan_workflow.commands.archive import ImportWorkbook
    from danvan_workflow.services.workbook_import import import_workbook

    cmd = parse_command(ImportWorkbook, {"path": str(path),
                                         "operator": actor or get_settings().operator})
    res = import_workbook(cmd, config_dir or get_settings().config_dir)
    console.print(res.message, highlight=False, soft_wrap=True)


def register(*, plans: typer.Typer, units: typer.Typer, deadlines: typer.Typer) -> None:
    units.command("template")(user_errors(units_template))
    units.command("import")(user_errors(units_import))
    plans.command("roll")(user_errors(plans_roll))
    plans.command("delete")(user_errors(plans_delete))
    units.command("delete")(user_errors(units_delete))
    deadlines.command("close-year")(user_errors(deadlines_close_year))
