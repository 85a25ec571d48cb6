"""`danvan notify ...`, `danvan outbox ...`, `danvan sweep`: reminders and the outbox."""

from __future__ import annotations

from typing import Annotated

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

notify_app = typer.Typer(help="Gửi thông báo.", no_args_is_help=True)
outbox_app = typer.Typer(help="Hộp thư đi (outbox).", no_args_is_help=True)


@notify_app.command("test")
@user_errors
def notify_test(
    target: Annotated[str, typer.Argument(
        help="Mã đầu mối hoặc URL Apprise (có thể dùng ${BIEN})")],
    channel: Annotated[str | None, typer.Option(help="Chỉ gửi qua kênh này")] = None,
) -> None:
    """Gửi một thông báo thử tới một đầu mối hoặc một URL Apprise."""
    from danvan_workflow.commands.notify import SendTestNotification
    from danvan_workflow.services.notify import send_direct, send_test_notification
    from danvan_workflow.services.outbox_views import message_states

    if "://" in target:
        res = send_direct(target)
        r = res.direct
        assert r is not None
        if r.ok:
            console.print(f"Đã gửi thử tới {res.target}.", highlight=False)
            return
        raise UserError(f"gửi thử tới {res.target} thất bại: {r.error}")
    cmd = parse_command(SendTestNotification, {"contact": target, "channel": channel,
                                               "operator": get_settings().operator})
    sent = send_test_notification(cmd)
    for row in message_states(sent.messages):
        console.print(f"Thông báo {row.id} qua kênh {row.channel}: {row.status}"
                      + (f" — {row.last_error}" if row.last_error else ""), highlight=False)


@outbox_app.command("list")
@user_errors
def outbox_list(
    status: Annotated[str | None, typer.Option(help="Lọc theo trạng thái")] = None,
    limit: Annotated[int, typer.Option(help="Số dòng tối đa")] = 50,
    duplicates: Annotated[bool, typer.Option(
        "--duplicates", help="Chỉ các thông báo người nhận có thể đã nhận hai lần")] = False,
) -> None:
    """Các thông báo trong hộp thư đi."""
    from danvan_workflow.services.outbox_views import outbox_list as view

    out = view(status, limit, maybe_duplicate=duplicates)
    table = Table(title="Hộp thư đi")
    for col in ("Số", "Loại", "Người nhận", "Kênh", "Trạng thái", "Lần thử", "Tiêu đề",
                "Lỗi cuối", "Ghi chú"):
        table.add_column(col)
    for r in out.rows:
        table.add_row(str(r.id), r.kind, r.recipient, r.channel, r.status, str(r.attempts),
                      r.subject, r.last_error[:60], r.note)
    console.print(table)
    console.print("Tổng theo trạng thái: " + ", ".join(
        f"{k} {v}" for k, v in out.totals.items()), highlight=False)
    if out.maybe_duplicates:
        console.print(f"{out.maybe_duplicates} thông báo có thể đã gửi hai lần (bộ gửi dừng khi "
                      "đang gửi; bản sau mang cùng khóa chống trùng). Xem: danvan outbox list "
                      "--duplicates", highlight=False)


@outbox_app.command("show")
@user_errors
def outbox_show(message_id: int) -> None:
    """Chi tiết một thông báo và các lần gửi."""
    from danvan_workflow.services.outbox_views import message_detail

    d = message_detail(message_id)
    r = d.row
    console.print(f"[bold]Thông báo {r.id}[/] ({r.kind}) — kênh {r.channel} — {r.status}"
                  + (f" — {r.note}" if r.note else ""), highlight=False)
    console.print(f"Khóa chống trùng: {d.idempotency_key}", highlight=False)
    if d.subject:  # chat channels (Zalo) have none
        console.print(f"Tiêu đề: {d.subject}", highlight=False)
    if d.preview:
        console.print("[bold]Nội dung:[/]", highlight=False)
        console.print(d.preview, highlight=False, markup=False)
    t = Table(title="Các lần gửi")
    for col in ("Lúc", "Máy gửi", "Kết quả", "Phản hồi", "Lỗi"):
        t.add_column(col)
    for a in d.attempts:
        t.add_row(a.at.strftime("%d/%m/%Y %H:%M:%S"), a.worker, a.result, a.reply, a.error)
    console.print(t)


@outbox_app.command("retry")
@user_errors
def outbox_retry(message_ids: Annotated[list[int] | None, typer.Argument()] = None) -> None:
    """Đưa thông báo không gửi được (hoặc các số đã chọn) về hàng chờ gửi lại."""
    from danvan_workflow.commands.outbox import RetryMessages
    from danvan_workflow.services.outbox import retry_messages

    n = retry_messages(parse_command(RetryMessages, {"message_ids": message_ids or []}))
    console.print(f"Đã đưa {n} thông báo về hàng chờ gửi.")


@outbox_app.command("dead")
@user_errors
def outbox_dead() -> None:
    """Các thông báo không gửi được (dead letter)."""
    outbox_list(status="dead", limit=200)


@outbox_app.command("dispatch")
@user_errors
def outbox_dispatch(
    batch: Annotated[int | None, typer.Option(help="Số thông báo mỗi lượt")] = None,
) -> None:
    """Gửi ngay các thông báo đến hạn."""
    from danvan_workflow.commands.outbox import DispatchNow
    from danvan_workflow.services.outbox import dispatch_now

    st = dispatch_now(parse_command(DispatchNow, {"batch": batch}))
    console.print(f"Đã nhận {st.claimed}, gửi được {st.sent}, chờ gửi lại {st.retry}, "
                  f"không gửi được {st.dead}, chưa cấu hình kênh {st.unconfigured}, "
                  f"hủy {st.cancelled}.")


def sweep(day: Annotated[str | None, typer.Option("--date", help="Ngày quét (YYYY-MM-DD)")] = None,
          send: Annotated[bool, typer.Option("--send/--no-send", help="Gửi ngay")] = True) -> None:
    """Quét hằng ngày: mở rộng hạn, lập lịch nhắc, gửi hộp thư đi."""
    from danvan_workflow.services.sweep import daily_sweep

    d = parse_date(day, "--date") or today()
    res = daily_sweep(d, send=send)
    console.print(res.summary_text(), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")
    app.add_typer(outbox_app, name="outbox")
    app.command("sweep")(user_errors(sweep))
