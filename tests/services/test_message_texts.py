"""The texts users read: every reminder kind, the dead-letter alert, percentages,
titles joined with their period, and the CLI outputs listed in issue 11.

Reminder texts are rendered from rows in a migrated database (load_items, then
render), so what is asserted is what the dispatcher sends.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.adapters.channels.base import OutgoingMessage
from danvan_workflow.core.vietnamese import format_percent, title_with_period
from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for, session_scope
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.rendering import dead_letters, load_items, render, render_dead_alert
from danvan_workflow.timeutil import TZ

D = dt.date
SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
HALF_YEAR = "Báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng"
YEARLY = "Báo cáo kết quả thực hiện dân chủ ở cơ sở năm"
STEERING = ("Báo cáo kết quả thực hiện dân chủ ở cơ sở năm của Ban Chỉ đạo tỉnh "
            "(Ban Dân vận Tỉnh ủy dự thảo)")


# --------------------------------------------------------------------------- the data


@dataclass
class World:
    engine: Engine
    ids: dict[str, int]
    n: int = 0

    def message(self, contact: str, deadlines: list[tuple[str, bool]], planned: dt.date,
                channel: str = "email") -> int:
        """One outbox message to `contact` with the given (deadline, escalation) items."""
        self.n += 1
        with Session(self.engine) as s, s.begin():
            msg = m.OutboxMessage(
                idempotency_key=f"t.{self.n}", contact_id=self.ids[contact],
                channel_code=channel, kind="reminder", planned_for=planned, status="pending",
                attempts=0, next_attempt_at=dt.datetime.combine(planned, dt.time(7, 30), TZ))
            s.add(msg)
            s.flush()
            for name, esc in deadlines:
                d = s.get(m.Deadline, self.ids[name])
                assert d is not None and d.due_on is not None
                s.add(m.Notification(deadline_id=d.id, step=-10, contact_id=self.ids[contact],
                                     channel_code=channel, escalation=esc, due_on=d.due_on,
                                     planned_for=planned, message_id=msg.id))
            return msg.id

    def render(self, message_id: int, today: dt.date) -> OutgoingMessage:
        with Session(self.engine) as s:
            items = load_items(s, [message_id], calendar_for(s), today)[message_id]
            msg = s.get(m.OutboxMessage, message_id)
            assert msg is not None and msg.contact_id is not None
            contact = s.get(m.Contact, msg.contact_id)
            assert contact is not None
            unit = s.get(m.Unit, contact.unit_id)
            assert unit is not None
            return render(items, contact_name=contact.name, unit_name=unit.name, today=today,
                          idempotency_key=msg.idempotency_key)


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    """Tây Ninh: a district board reports to the provincial board; 2026 is confirmed."""
    engine = engine_for(sqlite_url)
    ids: dict[str, int] = {}
    with Session(engine) as s, s.begin():
        def unit(code: str, name: str, level: str) -> m.Unit:
            u = m.Unit(code=code, name=name, kind="party_board", level=level)
            s.add(u)
            s.flush()
            ids[code] = u.id
            return u

        btv = unit("TN.BTV", "Ban Thường vụ Tỉnh ủy Tây Ninh", "province")
        bdv = unit("TN.BDV", "Ban Dân vận Tỉnh ủy Tây Ninh", "province")
        tb = unit("TB.BDV", "Ban Dân vận Huyện ủy Tân Biên", "district")
        for code, name, u, role in (
                ("TB.lan", "Nguyễn Thị Lan", tb, "focal_point"),
                ("TB.hung", "Trần Văn Hùng", tb, "leader"),
                ("TN.tuan", "Lê Minh Tuấn", bdv, "focal_point"),
                ("TN.op", "Phạm Quốc Việt", bdv, "focal_point")):
            c = m.Contact(code=code, name=name, unit_id=u.id, role=role,
                          email=f"{code}@example.vn")
            s.add(c)
            s.flush()
            ids[code] = c.id
        plan = m.Plan(code="19-KH/BCĐ", title="Xây dựng và thực hiện Quy chế dân chủ ở cơ sở",
                      issuer_id=bdv.id, year=2026, recurs=True)
        s.add(plan)
        s.flush()
        for code, title, reporter, recipient, key, label, due in (
                ("half", HALF_YEAR, tb, bdv, "2027-H1", "6 tháng đầu năm 2027", D(2027, 6, 16)),
                ("year", YEARLY, tb, bdv, "2026-Y", "năm 2026", D(2026, 12, 21)),
                ("steer", STEERING, bdv, btv, "2026-Y", "năm 2026", D(2026, 12, 28))):
            ob = m.Obligation(plan_id=plan.id, code=code, title=title, recipient_id=recipient.id,
                              rules=[], rule_kind="periodic")
            s.add(ob)
            s.flush()
            d = m.Deadline(obligation_id=ob.id, unit_id=reporter.id, period_key=key,
                           period_label=label, due_on=due, original_due_on=due, status="open")
            s.add(d)
            s.flush()
            ids[code] = d.id
        s.add(m.CalendarYear(year=2026, confirmed=True, documents=[]))
    yield World(engine, ids)


def assert_nfc(msg: OutgoingMessage) -> None:
    for text in (msg.subject, msg.text, msg.short_text, msg.html or ""):
        assert unicodedata.is_normalized("NFC", text)


FOOTER = "Đây là thư tự động của hệ thống nhắc hạn báo cáo, vui lòng không trả lời thư này.\n"
SUBMIT = ('Đề nghị đơn vị gửi văn bản báo cáo (có số, ký hiệu, ví dụ "15-BC/ĐU") về nơi nhận. '
          "Khi báo cáo được ghi nhận, hệ thống sẽ dừng nhắc.")
NOTE_2027 = "Lưu ý: lịch nghỉ năm 2027 chưa được công bố chính thức, hạn có thể thay đổi."


# --------------------------------------------------------------------------- reminders


def test_before_due(world: World) -> None:
    mid = world.message("TB.lan", [("half", False)], D(2027, 6, 9))
    msg = world.render(mid, D(2027, 6, 9))
    assert_nfc(msg)
    assert msg.subject == ("Nhắc hạn: Báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng đầu "
                           "năm 2027 — hạn Thứ Tư, 16/06/2027")
    assert msg.text == (
        "Kính gửi: Đồng chí Nguyễn Thị Lan (Ban Dân vận Huyện ủy Tân Biên).\n"
        "\n"
        "Báo cáo sau sắp đến hạn nộp:\n"
        "\n"
        "Báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng đầu năm 2027\n"
        "- Đơn vị báo cáo: Ban Dân vận Huyện ủy Tân Biên\n"
        "- Nơi nhận: Ban Dân vận Tỉnh ủy Tây Ninh\n"
        "- Hạn nộp: Thứ Tư, 16/06/2027 (còn 5 ngày làm việc)\n"
        "- Căn cứ: Kế hoạch số 19-KH/BCĐ\n"
        "\n"
        f"{NOTE_2027}\n"
        "\n"
        f"{SUBMIT}\n"
        "\n"
        f"{FOOTER}")
    assert msg.short_text == (
        "Nhắc hạn: Báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng đầu năm 2027 — hạn "
        "Thứ Tư, 16/06/2027 (còn 5 ngày làm việc). Đơn vị báo cáo: Ban Dân vận Huyện ủy Tân "
        f"Biên; nơi nhận: Ban Dân vận Tỉnh ủy Tây Ninh. {NOTE_2027}")
    assert msg.html is not None and "<td>Thứ Tư, 16/06/2027<br>(còn 5 ngày làm việc)</td>" in \
        msg.html and f"<p>{NOTE_2027}</p>" in msg.html


def test_due_today(world: World) -> None:
    mid = world.message("TB.lan", [("half", False)], D(2027, 6, 16))
    msg = world.render(mid, D(2027, 6, 16))
    assert_nfc(msg)
    assert msg.subject == ("Hạn hôm nay: Báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng đầu "
                           "năm 2027 — Thứ Tư, 16/06/2027")
    assert msg.text == (
        "Kính gửi: Đồng chí Nguyễn Thị Lan (Ban Dân vận Huyện ủy Tân Biên).\n"
        "\n"
        "Hôm nay là hạn nộp báo cáo sau:\n"
        "\n"
        "Báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng đầu năm 2027\n"
        "- Đơn vị báo cáo: Ban Dân vận Huyện ủy Tân Biên\n"
        "- Nơi nhận: Ban Dân vận Tỉnh ủy Tây Ninh\n"
        "- Hạn nộp: Thứ Tư, 16/06/2027 (hạn hôm nay)\n"
        "- Căn cứ: Kế hoạch số 19-KH/BCĐ\n"
        "\n"
        f"{NOTE_2027}\n"
        "\n"
        f"{SUBMIT}\n"
        "\n"
        f"{FOOTER}")
    assert msg.short_text == (
        "Hạn hôm nay: Báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng đầu năm 2027 — "
        "Thứ Tư, 16/06/2027. Đơn vị báo cáo: Ban Dân vận Huyện ủy Tân Biên; nơi nhận: Ban Dân "
        f"vận Tỉnh ủy Tây Ninh. {NOTE_2027}")


def test_overdue(world: World) -> None:
    # planned before the due date, sent after it: worded for the day it is sent
    mid = world.message("TB.lan", [("year", False)], D(2026, 12, 14))
    msg = world.render(mid, D(2026, 12, 24))
    assert_nfc(msg)
    assert msg.subject == ("Quá hạn: Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026 — hạn "
                           "Thứ Hai, 21/12/2026")
    assert msg.text == (
        "Kính gửi: Đồng chí Nguyễn Thị Lan (Ban Dân vận Huyện ủy Tân Biên).\n"
        "\n"
        "Báo cáo sau đã quá hạn nộp:\n"
        "\n"
        "Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026\n"
        "- Đơn vị báo cáo: Ban Dân vận Huyện ủy Tân Biên\n"
        "- Nơi nhận: Ban Dân vận Tỉnh ủy Tây Ninh\n"
        "- Hạn nộp: Thứ Hai, 21/12/2026 (đã quá hạn 3 ngày làm việc)\n"
        "- Căn cứ: Kế hoạch số 19-KH/BCĐ\n"
        "\n"
        f"{SUBMIT}\n"
        "\n"
        f"{FOOTER}")
    assert msg.short_text == (
        "Quá hạn: Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026 — hạn Thứ Hai, 21/12/2026 "
        "(đã quá hạn 3 ngày làm việc). Đơn vị báo cáo: Ban Dân vận Huyện ủy Tân Biên; nơi "
        "nhận: Ban Dân vận Tỉnh ủy Tây Ninh.")
    assert "còn" not in msg.text and "Lưu ý" not in msg.text  # 2026 is confirmed


def test_escalation_to_the_units_leader(world: World) -> None:
    mid = world.message("TB.hung", [("year", True)], D(2026, 12, 24))
    msg = world.render(mid, D(2026, 12, 24))
    assert_nfc(msg)
    assert msg.subject == ("Chậm nộp: Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026 — "
                           "Ban Dân vận Huyện ủy Tân Biên")
    assert msg.text == (
        "Kính gửi: Đồng chí lãnh đạo Ban Dân vận Huyện ủy Tân Biên.\n"
        "\n"
        "Báo cáo sau đã quá hạn nhưng đơn vị chưa gửi:\n"
        "\n"
        "Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026\n"
        "- Đơn vị báo cáo: Ban Dân vận Huyện ủy Tân Biên\n"
        "- Nơi nhận: Ban Dân vận Tỉnh ủy Tây Ninh\n"
        "- Hạn nộp: Thứ Hai, 21/12/2026 (đã quá hạn 3 ngày làm việc)\n"
        "- Căn cứ: Kế hoạch số 19-KH/BCĐ\n"
        "- Đề nghị đồng chí chỉ đạo đơn vị gửi báo cáo ngay.\n"
        "\n"
        "Khi báo cáo được ghi nhận, hệ thống sẽ dừng nhắc.\n"
        "\n"
        f"{FOOTER}")
    assert msg.short_text == (
        "Chậm nộp: Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026 — Ban Dân vận Huyện ủy "
        "Tân Biên, hạn Thứ Hai, 21/12/2026 (đã quá hạn 3 ngày làm việc). Nơi nhận: Ban Dân vận "
        "Tỉnh ủy Tây Ninh. Đề nghị đồng chí chỉ đạo đơn vị gửi báo cáo ngay.")
    assert "cấp trên" not in msg.text


def test_digest_for_the_recipient(world: World) -> None:
    # the provincial board: an escalation about a district's report, and its own report
    mid = world.message("TN.tuan", [("year", True), ("steer", False)], D(2026, 12, 24))
    msg = world.render(mid, D(2026, 12, 24))
    assert_nfc(msg)
    assert msg.subject == "Nhắc hạn ngày 24/12/2026: 2 báo cáo, trong đó 1 báo cáo quá hạn"
    assert msg.text == (
        "Kính gửi: Đồng chí Lê Minh Tuấn (Ban Dân vận Tỉnh ủy Tây Ninh).\n"
        "\n"
        "Đề nghị đồng chí lưu ý 2 báo cáo sau:\n"
        "\n"
        "1. Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026\n"
        "   - Đơn vị báo cáo: Ban Dân vận Huyện ủy Tân Biên\n"
        "   - Nơi nhận: Ban Dân vận Tỉnh ủy Tây Ninh\n"
        "   - Hạn nộp: Thứ Hai, 21/12/2026 (đã quá hạn 3 ngày làm việc)\n"
        "   - Căn cứ: Kế hoạch số 19-KH/BCĐ\n"
        "   - Đề nghị đồng chí đôn đốc đơn vị gửi báo cáo.\n"
        "\n"
        "2. Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026 của Ban Chỉ đạo tỉnh (Ban Dân "
        "vận Tỉnh ủy dự thảo)\n"
        "   - Đơn vị báo cáo: Ban Dân vận Tỉnh ủy Tây Ninh\n"
        "   - Nơi nhận: Ban Thường vụ Tỉnh ủy Tây Ninh\n"
        "   - Hạn nộp: Thứ Hai, 28/12/2026 (còn 2 ngày làm việc)\n"
        "   - Căn cứ: Kế hoạch số 19-KH/BCĐ\n"
        "\n"
        f"{SUBMIT}\n"
        "\n"
        f"{FOOTER}")
    assert msg.short_text == (
        "Nhắc hạn ngày 24/12/2026: 2 báo cáo, trong đó 1 báo cáo quá hạn.\n"
        "1. Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026 — Ban Dân vận Huyện ủy Tân "
        "Biên, hạn Thứ Hai, 21/12/2026 (đã quá hạn 3 ngày làm việc).\n"
        "2. Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026 của Ban Chỉ đạo tỉnh (Ban Dân "
        "vận Tỉnh ủy dự thảo) — Ban Dân vận Tỉnh ủy Tây Ninh, hạn Thứ Hai, 28/12/2026 (còn 2 "
        "ngày làm việc).")


def test_dead_letter_alert_names_the_contact_and_the_deadline(world: World) -> None:
    mid = world.message("TB.lan", [("year", False)], D(2026, 12, 22))
    with Session(world.engine) as s:
        dead = dead_letters(s, [mid])[mid]
    subject, body = render_dead_alert(dead, attempts=8,
                                      last_error="550 5.1.1 Hộp thư không tồn tại")
    assert unicodedata.is_normalized("NFC", subject + body)
    assert subject == (f"Không gửi được thông báo số {mid} tới đồng chí Nguyễn Thị Lan "
                       "(Ban Dân vận Huyện ủy Tân Biên)")
    assert body == (
        "Kính gửi: Bộ phận vận hành hệ thống nhắc hạn báo cáo.\n"
        "\n"
        f"Thông báo số {mid} gửi đồng chí Nguyễn Thị Lan (Ban Dân vận Huyện ủy Tân Biên) qua "
        "thư điện tử không gửi được sau 8 lần thử.\n"
        "Nội dung: nhắc hạn “Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026” của Ban Dân "
        "vận Huyện ủy Tân Biên, hạn nộp Thứ Hai, 21/12/2026.\n"
        "Lỗi lần gửi cuối: 550 5.1.1 Hộp thư không tồn tại\n"
        "\n"
        "Đề nghị kiểm tra địa chỉ nhận của đồng chí Nguyễn Thị Lan (Ban Dân vận Huyện ủy Tân "
        "Biên) và cấu hình kênh gửi, sau đó gửi lại bằng lệnh:\n"
        f"  danvan outbox retry {mid}\n"
        f"Xem chi tiết: danvan outbox show {mid}\n")


def test_contacts_named_after_their_function_are_not_repeated(world: World) -> None:
    with Session(world.engine) as s, s.begin():
        c = s.get(m.Contact, world.ids["TB.lan"])
        assert c is not None
        c.name = "Đầu mối Ban Dân vận Huyện ủy Tân Biên"
    mid = world.message("TB.lan", [("half", False)], D(2027, 6, 9))
    msg = world.render(mid, D(2027, 6, 9))
    assert msg.text.startswith("Kính gửi: Đồng chí đầu mối Ban Dân vận Huyện ủy Tân Biên.\n")


# --------------------------------------------------------------------------- helpers


def test_format_percent() -> None:
    assert format_percent(85.714) == "85,7%"
    assert format_percent(100) == "100%"
    assert format_percent(0) == "0%"
    assert format_percent(Decimal("100.00")) == "100%"
    assert format_percent(Decimal("50.00")) == "50%"
    assert format_percent(12.25) == "12,3%"
    assert format_percent(99.96) == "100%"
    assert format_percent(-0.01) == "0%"


@pytest.mark.parametrize(("title", "label", "expected"), [
    (YEARLY, "năm 2026", "Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026"),
    (HALF_YEAR, "6 tháng đầu năm 2027",
     "Báo cáo kết quả thực hiện dân chủ ở cơ sở 6 tháng đầu năm 2027"),
    (STEERING, "năm 2026", "Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026 của Ban Chỉ đạo "
                           "tỉnh (Ban Dân vận Tỉnh ủy dự thảo)"),
    ("Báo cáo kết quả thực hiện công tác Dân vận chính quyền 6 tháng năm 2024",
     "6 tháng đầu năm 2024",
     "Báo cáo kết quả thực hiện công tác Dân vận chính quyền 6 tháng đầu năm 2024"),
    ("Báo cáo kết quả thực hiện công tác Dân vận chính quyền 9 tháng năm 2024",
     "9 tháng năm 2024",
     "Báo cáo kết quả thực hiện công tác Dân vận chính quyền 9 tháng năm 2024"),
    ("Báo cáo kết quả thực hiện phong trào thi đua “Dân vận khéo” hằng tháng", "tháng 3/2023",
     "Báo cáo kết quả thực hiện phong trào thi đua “Dân vận khéo” tháng 3/2023"),
    ("Họp Ban Chỉ đạo tỉnh định kỳ hằng quý (Ban Dân vận Tỉnh ủy chuẩn bị nội dung, tài liệu)",
     "quý I/2026",
     "Họp Ban Chỉ đạo tỉnh quý I/2026 (Ban Dân vận Tỉnh ủy chuẩn bị nội dung, tài liệu)"),
    ("Tổng hợp kết quả thi đua thực hiện dân chủ ở cơ sở hằng năm gửi Ban Chỉ đạo tỉnh",
     "năm 2026",
     "Tổng hợp kết quả thi đua thực hiện dân chủ ở cơ sở năm 2026 gửi Ban Chỉ đạo tỉnh"),
    ("Ủy ban nhân dân thị xã tổng kết và báo cáo kết quả thực hiện kế hoạch cho Ban Thường vụ "
     "Thị ủy (mục III.3)", "năm 2026",
     "Ủy ban nhân dân thị xã tổng kết và báo cáo kết quả thực hiện kế hoạch cho Ban Thường vụ "
     "Thị ủy năm 2026 (mục III.3)"),
    ("Hội nghị tổng kết cuối năm", "năm 2026", "Hội nghị tổng kết cuối năm 2026"),
    ("Sơ kết 3 năm công tác thi đua", "năm 2025", "Sơ kết 3 năm công tác thi đua năm 2025"),
    ("Báo cáo kết quả kiểm tra 6 tháng đầu năm 2023", "ngày 25/7/2023",
     "Báo cáo kết quả kiểm tra 6 tháng đầu năm 2023"),
    ("Báo cáo chuyên đề về thực hiện dân chủ ở cơ sở (nếu có)",
     "Theo yêu cầu: Báo cáo nhanh tình hình dân vận",
     "Báo cáo chuyên đề về thực hiện dân chủ ở cơ sở (nếu có), theo yêu cầu: Báo cáo nhanh "
     "tình hình dân vận"),
    ("Báo cáo chuyên đề theo yêu cầu", "Theo yêu cầu: Tình hình an ninh nông thôn",
     "Báo cáo chuyên đề theo yêu cầu (theo yêu cầu: Tình hình an ninh nông thôn)"),
])
def test_title_with_period(title: str, label: str, expected: str) -> None:
    got = title_with_period(title, label)
    assert got == expected
    assert unicodedata.is_normalized("NFC", got)


# --------------------------------------------------------------------------- CLI


def _cli(*args: str) -> str:
    from danvan_workflow.cli.main import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def test_db_upgrade_says_what_it_did(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from danvan_workflow.db.migrate import head_revision, upgrade
    from danvan_workflow.settings import reset_settings

    head = head_revision()
    url = f"sqlite:///{tmp_path / 'moi.db'}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    reset_settings()
    assert _cli("db", "upgrade").strip() == (
        f"Đã khởi tạo cơ sở dữ liệu ở phiên bản {head} (mới nhất).")
    assert _cli("db", "upgrade").strip() == (
        f"Cơ sở dữ liệu đã ở phiên bản mới nhất ({head}), không cần nâng cấp.")
    old = f"sqlite:///{tmp_path / 'cu.db'}"
    upgrade(old, "0001")
    monkeypatch.setenv("DANVAN_DATABASE_URL", old)
    reset_settings()
    assert _cli("db", "upgrade").strip() == (
        f"Đã nâng cấp cơ sở dữ liệu từ phiên bản 0001 lên phiên bản {head} (mới nhất).")


def test_first_config_load_only_adds(sqlite_url: str) -> None:
    from danvan_workflow.services import config
    from tests.conftest import CONFIG

    first = config.load(CONFIG)
    assert first.report.tables["contacts"].added and first.report.tables["plan_tasks"].added
    assert {name: ch.changed for name, ch in first.report.tables.items() if ch.changed} == {}
    assert not config.load(CONFIG).report.any


def test_outbox_show_without_subject(sqlite_url: str) -> None:
    with session_scope() as s:
        unit = m.Unit(code="X", name="Đảng ủy xã Phổ An", kind="party_committee", level="commune")
        s.add(unit)
        s.flush()
        c = m.Contact(code="X.dm", name="Võ Thị Hoa", unit_id=unit.id, role="focal_point")
        s.add(c)
        s.flush()
        now = dt.datetime(2026, 12, 24, 8, tzinfo=TZ)
        zalo = m.OutboxMessage(idempotency_key="z", contact_id=c.id, channel_code="zalo_oa",
                               kind="test", planned_for=now.date(), subject=None,
                               body="Tin nhắn thử", status="sent", attempts=1,
                               next_attempt_at=now)
        mail = m.OutboxMessage(idempotency_key="e", contact_id=c.id, channel_code="email",
                               kind="test", planned_for=now.date(), subject="Thông báo thử",
                               body="Thư thử", status="pending", attempts=0, next_attempt_at=now)
        s.add_all([zalo, mail])
        s.flush()
        s.add(m.DeliveryAttempt(message_id=zalo.id, at=now, worker="may-1", result="sent"))
        ids = (zalo.id, mail.id)
    out = _cli("outbox", "show", str(ids[0]))
    assert "Tiêu đề" not in out
    assert f"Thông báo {ids[0]} (Thông báo thử) — kênh Zalo (tài khoản chính thức) — Đã gửi" \
        in out
    assert "Tin nhắn thử" in out and "sent" not in out
    assert "Tiêu đề: Thông báo thử" in _cli("outbox", "show", str(ids[1]))


def test_report_actions_print_no_status_codes(sqlite_url: str) -> None:
    from danvan_workflow.services import config

    config.load(SMALL)
    with session_scope() as s:
        ids = list(s.execute(select(m.Deadline.id).where(
            m.Deadline.status == "open", m.Deadline.due_on.is_not(None))
            .order_by(m.Deadline.due_on).limit(3)).scalars())
        due = s.get(m.Deadline, ids[1])
        assert due is not None and due.due_on is not None
        new_due = due.due_on + dt.timedelta(days=30)
    outputs = [
        _cli("reports", "submit", "--deadline", str(ids[0]), "--received", "2026-01-05"),
        _cli("reports", "extend", str(ids[1]), "--to", new_due.isoformat(),
             "--reason", "Chờ số liệu quý IV"),
        _cli("reports", "waive", str(ids[2]), "--reason", "Đơn vị sáp nhập"),
    ]
    codes = ("submitted_on_time", "submitted_late", "open", "extended", "waived", "→ open")
    for out in outputs:
        assert not any(code in out for code in codes), out
    assert "Trạng thái: Chưa nộp → Đã gia hạn." in " ".join(outputs[1].split())
    assert "Trạng thái: Chưa nộp → Được miễn." in " ".join(outputs[2].split())
