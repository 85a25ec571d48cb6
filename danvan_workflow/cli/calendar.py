"""`danvan calendar`: the working-day calendar (which years are confirmed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from danvan_workflow.cli.app import console, user_errors


def register(app: typer.Typer) -> None:
    calendar_app = typer.Typer(help="Lịch làm việc, ngày nghỉ lễ và ngày làm bù.",
                               no_args_is_help=True)
    app.add_typer(calendar_app, name="calendar")

    @calendar_app.command("check")
    @user_errors
    def calendar_check(
        path: Annotated[Path | None, typer.Argument(help="Thư mục cấu hình")] = None,
    ) -> None:
        """Liệt kê các năm đang dùng mà lịch nghỉ chưa được xác nhận."""
        from danvan_workflow.commands import parse_command
        from danvan_workflow.commands.calendar import CheckCalendar
        from danvan_workflow.services.calendar_views import check_calendar

        missing = check_calendar(parse_command(CheckCalendar, {"config_dir": path})).missing
        if not missing:
            console.print("Lịch các năm đang dùng đều đã xác nhận.")
            return
        for item in missing:
            console.print(item.text(), highlight=False, markup=False)
        console.print("Khi Chính phủ công bố lịch nghỉ của năm, hãy thêm tệp lịch của năm đó "
                      "với confirmed: true và các văn bản công bố, rồi nạp lại cấu hình.",
                      highlight=False, markup=False)
        raise typer.Exit(1)
