"""`danvan zalo`, `danvan contacts`, `danvan claims`, `danvan http`: Zalo tokens, linking
recipients, "đã nộp" claims and the inbound webhook receiver. No command prints a token."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from danvan_workflow.cli.app import console, get_settings, parse_command, user_errors


def _operator() -> str:
    return get_settings().operator


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
        from danvan_workflow.services.zalo_tokens import current_status

        st = current_status()
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
        from danvan_workflow.commands.zalo import ResetZaloToken
        from danvan_workflow.services.zalo_tokens import ENV_REFRESH_TOKEN, reset_refresh_token

        reset_refresh_token(parse_command(ResetZaloToken, {
            "refresh_token": os.environ.get(ENV_REFRESH_TOKEN, ""), "operator": _operator()}))
        console.print("Đã lưu refresh token mới; access token sẽ được lấy ở lần gửi tới.",
                      highlight=False)

    _register_inbound(app)


def _register_inbound(app: typer.Typer) -> None:

    contacts_app = typer.Typer(help="Đầu mối: liên kết tài khoản Zalo.", no_args_is_help=True)
    claims_app = typer.Typer(help='Báo "đã nộp" gửi qua Zalo, chờ xác nhận.',
                             no_args_is_help=True)
    http_app = typer.Typer(help="Máy chủ nhận sự kiện Zalo (webhook).", no_args_is_help=True)
    app.add_typer(contacts_app, name="contacts")
    app.add_typer(claims_app, name="claims")
    app.add_typer(http_app, name="http")

    @contacts_app.command("link-code")
    @user_errors
    def link_code(contact: Annotated[str, typer.Argument(help="Mã đầu mối")],
                  hours: Annotated[int, typer.Option(help="Hiệu lực (giờ)")] = 72) -> None:
        """Tạo mã liên kết dùng một lần; người nhận gửi mã này cho OA hoặc bot Zalo."""
        from danvan_workflow.commands.zalo import IssueLinkCode
        from danvan_workflow.services.zalo_inbound import issue_link

        res = issue_link(parse_command(IssueLinkCode, {
            "contact": contact, "hours": hours, "operator": _operator()}))
        console.print(f"Mã liên kết của {res.contact}: {res.code}", highlight=False)
        console.print(f"Hiệu lực đến {_when(res.expires_at)}. Nhờ người nhận gửi đúng mã này cho "
                      "Official Account hoặc bot Zalo của hệ thống.", highlight=False)

    @claims_app.command("list")
    @user_errors
    def claims_list(all_: Annotated[bool, typer.Option("--all", help="Cả báo nộp đã xử lý")]
                    = False) -> None:
        """Liệt kê các báo "đã nộp" chờ xác nhận."""
        from rich.table import Table

        from danvan_workflow.services.zalo_inbound import claims_view

        claims = claims_view(pending_only=not all_)
        table = Table("Số", "Lúc", "Đầu mối", "Hạn (số)", "Nội dung", "Trạng thái")
        for c in claims.rows:
            table.add_row(str(c.id), _when(c.created_at), c.contact_code,
                          str(c.deadline_id or "—"), c.text[:80], c.status_label)
        console.print(table)
        if claims.truncated:
            console.print(f"Hiển thị {len(claims.rows)} báo nộp đầu tiên.", highlight=False)
        console.print(f"Tổng: {claims.total} báo nộp.")

    @claims_app.command("confirm")
    @user_errors
    def claims_confirm(
        claim_id: Annotated[int, typer.Argument(help="Số báo nộp")],
        deadline: Annotated[int | None, typer.Option(help="Số hạn báo cáo")] = None,
        received_on: Annotated[str | None, typer.Option(help="Ngày nhận (dd/mm/yyyy)")] = None,
        document_number: Annotated[str | None, typer.Option(help="Số văn bản")] = None,
    ) -> None:
        """Xác nhận báo nộp: ghi nhận báo cáo đã nộp cho hạn tương ứng."""
        from danvan_workflow.commands.zalo import ConfirmClaim
        from danvan_workflow.services.zalo_inbound import confirm_submission_claim

        result = confirm_submission_claim(parse_command(ConfirmClaim, {
            "claim_id": claim_id, "deadline": deadline, "received_on": received_on,
            "document_number": document_number, "operator": _operator()}))
        console.print(result.message, highlight=False)

    @claims_app.command("reject")
    @user_errors
    def claims_reject(claim_id: Annotated[int, typer.Argument(help="Số báo nộp")]) -> None:
        """Bác bỏ báo nộp (không ghi nhận gì)."""
        from danvan_workflow.commands.zalo import RejectClaim
        from danvan_workflow.services.zalo_inbound import reject_submission_claim

        res = reject_submission_claim(parse_command(RejectClaim, {
            "claim_id": claim_id, "operator": _operator()}))
        console.print(f"Đã bác bỏ báo nộp số {res.claim_id}.", highlight=False)

    @http_app.command("serve")
    @user_errors
    def http_serve(
        host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Cổng")] = 8787,
    ) -> None:
        """Chạy máy chủ nhận webhook Zalo (mặc định chỉ nghe trên 127.0.0.1)."""
        import uvicorn

        from danvan_workflow.adapters.webhooks_app import create_app

        console.print(f"Đang nhận webhook Zalo tại http://{host}:{port} (/zalo/oa, /zalo/bot).",
                      highlight=False)
        uvicorn.run(create_app(), host=host, port=port, log_level="warning",
                    proxy_headers=True, forwarded_allow_ips="127.0.0.1")

