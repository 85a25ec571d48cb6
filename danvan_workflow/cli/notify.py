"""`danvan notify ...`, `danvan outbox ...`, `danvan sweep`: reminders and the outbox."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from danvan_workflow.adapters.channels.redact import redact
from danvan_workflow.cli.app import console, parse_date, user_errors
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services.outbox import STATUS_LABELS
from danvan_workflow.services.rendering import MESSAGE_KINDS, channel_label
from danvan_workflow.settings import get_settings
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
    from danvan_workflow.services.notify import queue_test, send_direct
    from danvan_workflow.services.outbox import dispatch

    if "://" in target:
        res = send_direct(target)
        r = res.direct
        assert r is not None
        if r.ok:
            console.print(f"Đã gửi thử tới {res.target}.", highlight=False)
            return
        raise UserError(f"gửi thử tới {res.target} thất bại: {redact(r.error)}")
    with session_scope() as s:
        q = queue_test(s, target, get_settings().operator, channel)
    stats = dispatch()
    with session_scope() as s:
        rows = s.execute(select(m.OutboxMessage).where(m.OutboxMessage.id.in_(q.messages))
                         ).scalars().all()
        for row in rows:
            console.print(f"Thông báo {row.id} qua kênh {row.channel_code}: "
                          f"{STATUS_LABELS.get(row.status, row.status)}"
                          + (f" — {redact(row.last_error)}" if row.last_error else ""),
                          highlight=False)
    _ = stats


@outbox_app.command("list")
@user_errors
def outbox_list(
    status: Annotated[str | None, typer.Option(help="Lọc theo trạng thái")] = None,
    limit: int = 50,
) -> None:
    """Các thông báo trong hộp thư đi."""
    from danvan_workflow.services.outbox import channels, counts

    if status and status not in STATUS_LABELS:
        raise UserError("trạng thái không hợp lệ; chọn: " + ", ".join(STATUS_LABELS),
                        field="--status")
    with session_scope() as s:
        channels(s)  # their ${ENV} secrets are masked in the errors below
        MSG, C = m.OutboxMessage, m.Contact
        q = select(MSG, C.name).outerjoin(C, C.id == MSG.contact_id).order_by(MSG.id.desc())
        if status:
            q = q.where(MSG.status == status)
        table = Table(title="Hộp thư đi")
        for col in ("Số", "Loại", "Người nhận", "Kênh", "Trạng thái", "Lần thử", "Tiêu đề",
                    "Lỗi cuối"):
            table.add_column(col)
        for msg, name in s.execute(q.limit(limit)).all():
            table.add_row(str(msg.id), MESSAGE_KINDS.get(msg.kind, msg.kind), name or "",
                          channel_label(msg.channel_code),
                          STATUS_LABELS.get(msg.status, msg.status), str(msg.attempts),
                          msg.subject or "", (redact(msg.last_error) or "")[:60])
        console.print(table)
        console.print("Tổng theo trạng thái: " + ", ".join(
            f"{STATUS_LABELS.get(k, k)} {v}" for k, v in sorted(counts(s).items())))


@outbox_app.command("show")
@user_errors
def outbox_show(message_id: int) -> None:
    """Chi tiết một thông báo và các lần gửi."""
    from danvan_workflow.services.outbox import channels

    with session_scope() as s:
        channels(s)  # their ${ENV} secrets are masked below, even in old rows
        msg = s.get(m.OutboxMessage, message_id)
        if msg is None:
            raise UserError(f"không có thông báo số {message_id}", field="message_id")
        console.print(f"[bold]Thông báo {msg.id}[/] ({MESSAGE_KINDS.get(msg.kind, msg.kind)}) "
                      f"— kênh {channel_label(msg.channel_code)} — "
                      f"{STATUS_LABELS.get(msg.status, msg.status)}", highlight=False)
        console.print(f"Khóa chống trùng: {msg.idempotency_key}", highlight=False)
        if msg.subject:  # chat channels (Zalo) have none
            console.print(f"Tiêu đề: {msg.subject}", highlight=False)
        preview = _preview(s, msg)
        if preview:
            console.print("[bold]Nội dung:[/]", highlight=False)
            console.print(preview, highlight=False, markup=False)
        t = Table(title="Các lần gửi")
        for col in ("Lúc", "Máy gửi", "Kết quả", "Phản hồi", "Lỗi"):
            t.add_column(col)
        for a in s.execute(select(m.DeliveryAttempt).where(m.DeliveryAttempt.message_id == msg.id)
                           .order_by(m.DeliveryAttempt.id)).scalars():
            t.add_row(a.at.strftime("%d/%m/%Y %H:%M:%S"), a.worker,
                      STATUS_LABELS.get(a.result, a.result),
                      redact(a.provider_reply) or "", redact(a.error) or "")
        console.print(t)


def _preview(session: object, msg: m.OutboxMessage) -> str | None:
    """The text as it would be sent now (reminders are rendered when they are sent)."""
    from sqlalchemy.orm import Session

    from danvan_workflow.services.calendar import calendar_for
    from danvan_workflow.services.rendering import load_items, render

    assert isinstance(session, Session)
    if msg.kind != "reminder":
        return msg.body
    # worded for the day it was (or will be) sent, as the recipient reads it
    if msg.sent_at is not None:
        day = msg.sent_at.date()
    else:
        day = max(today(), msg.next_attempt_at.date(), msg.planned_for)
    items = load_items(session, [msg.id], calendar_for(session), day).get(msg.id)
    if not items:
        return "(không còn mục nào cần nhắc: các hạn đã được nộp, miễn hoặc dời)"
    contact = session.get(m.Contact, msg.contact_id) if msg.contact_id else None
    unit = session.get(m.Unit, contact.unit_id) if contact else None
    return render(items, contact_name=contact.name if contact else "",
                  unit_name=unit.name if unit else None, today=day,
                  idempotency_key=msg.idempotency_key).text


@outbox_app.command("retry")
@user_errors
def outbox_retry(message_ids: Annotated[list[int] | None, typer.Argument()] = None) -> None:
    """Đưa thông báo không gửi được (hoặc các số đã chọn) về hàng chờ gửi lại."""
    from danvan_workflow.services.outbox import retry_now

    with session_scope() as s:
        n = retry_now(s, message_ids or None)
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
    from danvan_workflow.services.outbox import dispatch

    st = dispatch(batch=batch)
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
