"""`danvan zalo`, `danvan contacts`, `danvan claims`, `danvan http`: Zalo tokens, linking
recipients, "đã nộp" claims and the inbound webhook receiver. No command prints a token."""

from __future__ import annotations

import os

import typer

from danvan_workflow.cli.app import console, user_errors


def _when(value: object) -> str:
    import datetime as dt

    from danvan_workflow.timeutil import TZ

    if not isinstance(value, dt.datetime):
        return "—"
    return value.astimezone(TZ).strftime("%H:%M:%S ngày %d/%m/%Y")


def register(app: typer.Typer) -> None:
    zalo_app = typer.Typer(help="Zalo: token của ứng dụng (OA và ZNS).", no_args_is_help=True)
    token_app = typer.Typer(help="Token truy cập Zalo (không bao giờ hiển thị giá trị).",
                            no_args_is_help=True)
    zalo_app.add_typer(token_app, name="token")
    app.add_typer(zalo_app, name="zalo")

    @token_app.command("status")
    @user_errors
    def token_status() -> None:
        """Thời hạn của token Zalo đang lưu (không hiển thị token)."""
        from danvan_workflow.db.session import session_scope
        from danvan_workflow.services.zalo_tokens import status

        with session_scope() as s:
            st = status(s)
        if not st.stored:
            console.print("Chưa có token Zalo trong cơ sở dữ liệu. Đặt biến môi trường "
                          "DANVAN_ZALO_REFRESH_TOKEN; token được lấy ở lần gửi đầu tiên.",
                          highlight=False)
            return
        console.print(f"Số lần gia hạn: {st.generation}", highlight=False)
        console.print(f"Hết hạn access token: {_when(st.access_expires_at)}", highlight=False)
        console.print(f"Gia hạn gần nhất: {_when(st.refreshed_at)}", highlight=False)
        console.print(f"Hết hạn refresh token (ước tính): {_when(st.refresh_expires_about)}",
                      highlight=False)
        if st.failed_at is not None:
            console.print(f"[bold red]Gia hạn thất bại lúc {_when(st.failed_at)}:[/] "
                          f"{st.last_error or ''}", highlight=False)
            console.print("Cấp lại quyền cho ứng dụng trên Zalo for Developers, đặt "
                          "DANVAN_ZALO_REFRESH_TOKEN rồi chạy: danvan zalo token reset",
                          highlight=False)

    @token_app.command("reset")
    @user_errors
    def token_reset() -> None:
        """Lưu refresh token mới từ biến môi trường DANVAN_ZALO_REFRESH_TOKEN."""
        from danvan_workflow.db.session import session_scope
        from danvan_workflow.services.zalo_tokens import ENV_REFRESH_TOKEN, reset
        from danvan_workflow.settings import get_settings

        with session_scope() as s:
            reset(s, os.environ.get(ENV_REFRESH_TOKEN, ""), actor=get_settings().operator)
        console.print("Đã lưu refresh token mới; access token sẽ được lấy ở lần gửi tới.",
                      highlight=False)

