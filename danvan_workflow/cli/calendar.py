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
        from sqlalchemy.exc import SQLAlchemyError

        from danvan_workflow.configuration.loader import load_config
        from danvan_workflow.db.session import session_scope
        from danvan_workflow.errors import UserError
        from danvan_workflow.services.calendar import YearFile, unconfirmed_years
        from danvan_workflow.settings import get_settings
        from danvan_workflow.timeutil import today

        config_dir = path or get_settings().config_dir
        bundle = load_config(config_dir)
        files = {y.year: YearFile(y.confirmed, y.source_file) for y in bundle.calendar_years}
        try:
            with session_scope() as s:
                missing = unconfirmed_years(s, today(), files, config_dir)
        except SQLAlchemyError as exc:
            raise UserError("không đọc được cơ sở dữ liệu; hãy chạy danvan db upgrade và "
                            "danvan config load trước") from exc
        if not missing:
            console.print("Lịch các năm đang dùng đều đã xác nhận.")
            return
        for item in missing:
            console.print(item.text(), highlight=False, markup=False)
        console.print("Khi Chính phủ công bố lịch nghỉ của năm, hãy thêm tệp lịch của năm đó "
                      "với confirmed: true và các văn bản công bố, rồi nạp lại cấu hình.",
                      highlight=False, markup=False)
        raise typer.Exit(1)
