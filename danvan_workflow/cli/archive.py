"""`danvan plans delete`, `danvan units delete`, `danvan deadlines close-year`.

Deleting recorded facts is never a side effect of a config load: a plan or unit that
left config/ is archived, and only these commands delete it, with its code retyped.
"""

from __future__ import annotations

from typing import Annotated

import typer

from danvan_workflow.cli.app import console, user_errors
from danvan_workflow.commands import parse_command
from danvan_workflow.commands.archive import CloseYear, DeletePlan, DeleteUnit
from danvan_workflow.errors import UserError
from danvan_workflow.settings import get_settings

Confirm = Annotated[str | None, typer.Option(
    "--xac-nhan", help="Gõ lại đúng mã để xác nhận xóa hẳn")]
Actor = Annotated[str | None, typer.Option("--actor", help="Người thực hiện")]


def _delete(kind: str, code: str, confirm: str | None, actor: str | None) -> None:
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
    from danvan_workflow.services.archive import close_past_year

    res = close_past_year(parse_command(CloseYear, {
        "year": year, "reason": reason, "operator": actor or get_settings().operator}))
    console.print(res.message, highlight=False, soft_wrap=True)


def register(*, plans: typer.Typer, units: typer.Typer, deadlines: typer.Typer) -> None:
    plans.command("delete")(user_errors(plans_delete))
    units.command("delete")(user_errors(units_delete))
    deadlines.command("close-year")(user_errors(deadlines_close_year))
