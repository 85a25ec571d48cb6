"""RFC 5545 export: one all-day event per deadline (icalendar package)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

from icalendar import Calendar, Event

from danvan_workflow.timeutil import now


class IcsDeadline(Protocol):
    """What an event is made of (``services.queries.DeadlineView`` has it)."""

    @property
    def id(self) -> int: ...
    @property
    def plan_code(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def reporter_code(self) -> str: ...
    @property
    def reporter_name(self) -> str: ...
    @property
    def recipient_code(self) -> str: ...
    @property
    def recipient_name(self) -> str: ...
    @property
    def period_label(self) -> str: ...
    @property
    def due_on(self) -> dt.date | None: ...
    @property
    def window_start(self) -> dt.date | None: ...
    @property
    def window_end(self) -> dt.date | None: ...
    @property
    def status_label(self) -> str: ...
    def due_text(self) -> str: ...


def to_ics(items: Iterable[IcsDeadline], *, host: str = "danvan-workflow") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//danvan-workflow//Hạn báo cáo//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Hạn báo cáo")
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    stamp = now().astimezone(dt.UTC)
    for d in items:
        if d.due_on is None:
            continue
        ev = Event()
        ev.add("uid", f"deadline-{d.id}@{host}")
        ev.add("dtstamp", stamp)
        # a window is shown as its whole span; anything else on its due day
        ev.add("dtstart", d.window_start or d.due_on)
        ev.add("dtend", (d.window_end or d.due_on) + dt.timedelta(days=1))
        word = "Thực hiện" if d.window_start else "Hạn"
        ev.add("summary", f"{word}: {d.title} — {d.reporter_name}")
        ev.add("description", "\n".join([
            f"Kế hoạch: {d.plan_code}",
            f"Kỳ báo cáo: {d.period_label}",
            f"Hạn: {d.due_text()}",
            f"Đơn vị báo cáo: {d.reporter_name} ({d.reporter_code})",
            f"Nơi nhận: {d.recipient_name} ({d.recipient_code})",
            f"Trạng thái: {d.status_label}",
        ]))
        ev.add("categories", [d.plan_code])
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return bytes(cal.to_ical())
