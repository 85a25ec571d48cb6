"""Dashboard data for the Prefect UI: pure queries and formatting, in Vietnamese.

Every function takes a `Session` and returns plain rows (list of dicts with
Vietnamese column names) or markdown text; the flows publish them as artifacts.
Artifact keys are lowercase-dash (Prefect's rule). Archived plans and units (gone
from config/) are left out: their history stays in the database and in exports.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan_workflow.core.calendar import WorkingCalendar
from danvan_workflow.core.deadline_status import SUBMITTED_STATES
from danvan_workflow.core.ontime import on_time_rate, rate_text
from danvan_workflow.db import models as m
from danvan_workflow.services import figures
from danvan_workflow.services.calendar import calendar_for, unconfirmed_note
from danvan_workflow.services.cycles import CycleLine
from danvan_workflow.services.outbox import STATUS_LABELS as OUTBOX_LABELS
from danvan_workflow.services.queries import (
    STATUS_LABELS,
    DeadlineView,
    count_deadlines,
    list_deadlines,
)
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.timeutil import now

MAX_ROWS = 500

KEYS = {
    "upcoming": "danvan-han-14-ngay-toi",
    "overdue": "danvan-qua-han",
    "rate_unit": "danvan-ty-le-dung-han-don-vi",
    "rate_plan": "danvan-ty-le-dung-han-ke-hoach",
    "quota": "danvan-dan-van-kheo-chi-tieu",
    "outbox": "danvan-hop-thu-di",
    "rollup": "danvan-tong-hop-theo-dia-ban",
    "summary": "danvan-quet-hang-ngay",
}


@dataclass
class Table:
    key: str
    description: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    # a line under the table (e.g. the dates are in a year whose calendar is unconfirmed)
    footer: str | None = None

    def describe(self) -> str:
        cut = f" (hiện {len(self.rows)}/{self.total} dòng)" if self.total > len(self.rows) else ""
        return self.description + cut + (f"\n\n{self.footer}" if self.footer else "")


def _d(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "Thường xuyên"


def _deadline_rows(items: list[DeadlineView], day: dt.date, cal: WorkingCalendar,
                   left: str) -> list[dict[str, Any]]:
    """Rows of a deadline table; `left` names the days column ("Còn lại", "Quá hạn")."""
    return [{"Số hạn": d.id, "Đơn vị": f"{d.reporter_name} ({d.reporter_code})",
             "Hạn": _d(d.due_on), left: d.left_text(day, cal), "Nội dung": d.title,
             "Kỳ": d.period_label, "Nơi nhận": d.recipient_code, "Kế hoạch": d.plan_code}
            for d in items]


def upcoming(session: Session, day: dt.date, days: int = 14) -> Table:
    """Open deadlines due in the next `days` days, by unit (the nearest MAX_ROWS)."""
    cal = calendar_for(session)
    window = dict(start=day, end=day + dt.timedelta(days=days), include_continuous=False,
                  open_only=True, current_only=True)
    items = list_deadlines(session, limit=MAX_ROWS, **window)  # type: ignore[arg-type]
    total = count_deadlines(session, **window)
    items.sort(key=lambda d: (d.reporter_code, d.due_on or day))
    rows = _deadline_rows(items, day, cal, "Còn lại")
    return Table(KEYS["upcoming"], f"Hạn báo cáo {days} ngày tới (từ {_d(day)}), theo đơn vị",
                 rows, total, unconfirmed_note(cal, (d.due_on for d in items), day))


def overdue(session: Session, day: dt.date) -> Table:
    """Open deadlines past their due date, the most recent first (the newest MAX_ROWS)."""
    cal = calendar_for(session)
    past = dict(end=day - dt.timedelta(days=1), include_continuous=False, open_only=True,
                current_only=True)
    items = list_deadlines(session, limit=MAX_ROWS, newest_first=True,
                           **past)  # type: ignore[arg-type]
    total = figures.overdue_total(session, day)  # = count_deadlines(**past), from the figures
    rows = _deadline_rows(items, day, cal, "Quá hạn")
    return Table(KEYS["overdue"], f"Báo cáo quá hạn chưa nộp (đến {_d(day)}), mới nhất trước; "
                 "“Số hạn” dùng khi ghi nhận, gia hạn hoặc miễn", rows, total,
                 unconfirmed_note(cal, (d.due_on for d in items), day))


def _rate_rows(rows: Sequence[tuple[Any, ...]], label: str) -> list[dict[str, Any]]:
    out = []
    for code, name, on_time, late, open_due, total in rows:
        r = on_time_rate(int(on_time or 0), int(late or 0), int(open_due or 0))
        rate = rate_text(r)
        out.append({label: f"{name} ({code})", "Đúng hạn": int(on_time or 0),
                    "Trễ hạn": int(late or 0), "Quá hạn chưa nộp": int(open_due or 0),
                    "Tổng số hạn": int(total), "Tỷ lệ đúng hạn": rate})
    return out


def rates_by_unit(session: Session, day: dt.date) -> Table:
    rows, total = figures.unit_rates(session, day, MAX_ROWS)
    return Table(KEYS["rate_unit"], "Tỷ lệ nộp báo cáo đúng hạn theo đơn vị (các hạn đã đến)",
                 _rate_rows(rows, "Đơn vị"), total)


def rates_by_plan(session: Session, day: dt.date) -> Table:
    rows = figures.plan_rates(session, day)
    return Table(KEYS["rate_plan"], "Tỷ lệ nộp báo cáo đúng hạn theo kế hoạch (các hạn đã đến)",
                 _rate_rows(rows, "Kế hoạch"), len(rows))


def rollup(session: Session, day: dt.date) -> Table:
    """Totals by province → district → unit, following the unit hierarchy."""
    from danvan_workflow.services.rollup import rollup as rollup_rows

    rows = []
    for r in rollup_rows(session, day):
        rate = r.rate
        rows.append({"Cấp": r.level_word,
                     "Đơn vị và các đơn vị trực thuộc": "— " * r.depth + f"{r.name} ({r.code})",
                     "Số đơn vị": r.units, "Đúng hạn": r.on_time, "Trễ hạn": r.late,
                     "Quá hạn chưa nộp": r.overdue, "Tổng số hạn": r.total,
                     "Tỷ lệ đúng hạn": rate_text(rate),
                     "Quá hạn nhiều nhất": "; ".join(r.worst) or "—"})
    return Table(KEYS["rollup"], "Tổng hợp theo địa bàn (tỉnh → huyện → đơn vị), các hạn đã "
                 f"đến ngày {_d(day)}; mỗi dòng gồm cả các đơn vị trực thuộc",
                 rows[:MAX_ROWS], len(rows))


def quotas(session: Session, year: int) -> Table:
    """'Dân vận khéo' registrations against the quotas of the year's plans."""
    from danvan_workflow.services.models_dvk import quota_report

    plans = session.execute(select(m.Plan.code).join(m.Quota, m.Quota.plan_id == m.Plan.id)
                            .where(m.Plan.year == year, m.Plan.archived_at.is_(None))
                            .distinct().order_by(m.Plan.code)
                            ).scalars().all()
    rows = []
    for code in plans:
        for line in quota_report(session, code, year).lines:
            rows.append({"Kế hoạch": code, "Đơn vị": f"{line.unit_name} ({line.unit_code})",
                         "Chỉ tiêu": line.required, "Đã đăng ký": line.registered,
                         "Còn thiếu": line.short_by, "Đạt": "Đạt" if line.met else "Chưa đạt"})
    rows.sort(key=lambda r: (r["Đạt"] == "Đạt", r["Kế hoạch"], r["Đơn vị"]))
    return Table(KEYS["quota"], f"Chỉ tiêu đăng ký mô hình “Dân vận khéo” năm {year}",
                 rows[:MAX_ROWS], len(rows))


def outbox(session: Session) -> Table:
    MSG = m.OutboxMessage
    rows = session.execute(select(MSG.channel_code, MSG.kind, MSG.status, func.count())
                           .group_by(MSG.channel_code, MSG.kind, MSG.status)
                           .order_by(MSG.channel_code, MSG.kind, MSG.status)).tuples().all()
    out = [{"Kênh": ch, "Loại": kind, "Trạng thái": OUTBOX_LABELS.get(st, st), "Số thông báo": n}
           for ch, kind, st, n in rows]
    return Table(KEYS["outbox"], f"Hộp thư đi lúc {now():%H:%M %d/%m/%Y}", out, len(out))


def due_messages(session: Session) -> int:
    """Messages the dispatcher would send now (for a progress bar)."""
    MSG = m.OutboxMessage
    return int(session.execute(select(func.count()).where(
        MSG.status.in_(("pending", "retry")), MSG.next_attempt_at <= now())).scalar_one())


def all_tables(session: Session, day: dt.date) -> list[Table]:
    return [upcoming(session, day), overdue(session, day), rollup(session, day),
            rates_by_unit(session, day), rates_by_plan(session, day), quotas(session, day.year),
            outbox(session)]


def count_due_messages() -> int:
    """`due_messages` in its own (read-only) unit of work."""
    with unit_of_work() as s:
        return due_messages(s)


def dashboard_tables(day: dt.date) -> list[Table]:
    """Every dashboard table on `day`, read in one unit of work."""
    with unit_of_work() as s:
        return all_tables(s, day)


def cycle_rows(cycles: list[CycleLine]) -> list[dict[str, Any]]:
    return [{"Kế hoạch": c.plan_code, "Nội dung": c.title, "Kỳ": c.period_label,
             "Hạn": _d(c.due_on), "Nơi nhận": c.recipient_name, "Số đơn vị": len(c.units),
             "Đã nộp": len(c.submitted), "Đúng hạn": c.on_time,
             "Tỷ lệ đúng hạn": rate_text(c.on_time_rate),
             "Chưa nộp": ", ".join(u[1] for u in c.missing)} for c in cycles]


def cutoff_rows(cycles: list[CycleLine]) -> list[dict[str, Any]]:
    rows = []
    for c in cycles:
        for _uid, code, name, status in c.units:
            rows.append({"Đơn vị": f"{name} ({code})", "Nội dung": c.title,
                         "Hạn": _d(c.due_on), "Kế hoạch": c.plan_code,
                         "Trạng thái": STATUS_LABELS.get(status, status),
                         "Đã nộp": "Có" if status in SUBMITTED_STATES else "Chưa"})
    rows.sort(key=lambda r: (r["Đã nộp"] == "Có", r["Đơn vị"]))
    return rows


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")  # emphasis, code, links, table cells


def escape_markdown(value: object) -> str:
    """User text (unit, plan, contact names...) as literal text inside Prefect markdown:
    HTML entities for & < >, markdown punctuation escaped, one line (no injected rows,
    headings, links or raw HTML)."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_table(rows: list[dict[str, Any]], limit: int = 50) -> str:
    if not rows:
        return "_(không có)_"
    cols = list(rows[0])
    lines = ["| " + " | ".join(escape_markdown(c) for c in cols) + " |",
             "|" + "---|" * len(cols)]
    for r in rows[:limit]:
        lines.append("| " + " | ".join(escape_markdown(r[c]) for c in cols) + " |")
    if len(rows) > limit:
        lines.append(f"\n… và {len(rows) - limit} dòng khác.")
    return "\n".join(lines)
