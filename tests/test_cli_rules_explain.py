"""`danvan rules explain`: every plan phrase gives rules or a Vietnamese refusal (exit 1),
never a traceback; past due dates are shown and marked; unconfirmed years are flagged."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from danvan_workflow.cli.main import app
from danvan_workflow.services import config as config_service
from danvan_workflow.settings import reset_settings
from tests.conftest import CONFIG
from tests.core.test_phrases_plans import PLAN_PHRASES, REFUSED, Refused

ACCEPTED = [phrase for _, phrase, expected in PLAN_PHRASES if not isinstance(expected, Refused)]
# close to a rule but not one: refused, with valid suggestions
NEAR_MISSES = ["tháng 3/2027", "ngày 25 hằng tháng", "ngày 20/11", "chậm nhất ngày 31/4",
               "trong tháng 13/2027", "hằng tuần", "   "]


@pytest.fixture
def today_2026(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("danvan_workflow.cli.main.today", lambda: dt.date(2026, 3, 1))
    return sqlite_url


@pytest.fixture
def no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused phrase is refused before the database is opened: point it nowhere."""
    monkeypatch.setenv("DANVAN_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    reset_settings()


def explain(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["rules", "explain", *args])
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert unicodedata.is_normalized("NFC", res.output)
    return res.exit_code, res.output


@pytest.mark.parametrize("phrase", REFUSED + NEAR_MISSES)
def test_refused_phrase_exits_1_with_a_vietnamese_message(no_database: None, phrase: str) -> None:
    code, out = explain(phrase)
    assert code == 1
    assert out.startswith("Lỗi: ")
    assert "cụm từ thời hạn" in out.lower()
    assert "Hãy ghi lịch ở dạng có cấu trúc" in out
    assert "month: 20" not in out


def test_every_accepted_plan_phrase_is_explained(today_2026: str) -> None:
    # one database for all of them: a migration per phrase would be slow
    bad = {}
    for phrase in ACCEPTED:
        code, out = explain(phrase, "--count", "2")
        if code != 0 or not out.startswith("Quy tắc: {") or "• —" in out or "— —" in out:
            bad[phrase] = out
    assert not bad


def test_continuous_is_one_clean_sentence(today_2026: str) -> None:
    code, out = explain("Thường xuyên")
    assert code == 0
    assert out.splitlines() == ['Quy tắc: {"kind": "continuous"}',
                                "  Thường xuyên: nhiệm vụ không có hạn cụ thể."]


def test_past_dated_phrase_shows_its_due_date(today_2026: str) -> None:
    code, out = explain("chậm nhất ngày 25/7/2023")
    assert code == 0
    assert "  • Thứ Ba, 25/07/2023 — ngày 25/7/2023 (đã qua)" in out.splitlines()
    assert "không có hạn" not in out


def test_self_review_phrase_no_longer_crashes(today_2026: str) -> None:
    code, out = explain("Định kỳ 3 tháng, 6 tháng")
    assert code == 0
    assert "Điều 148" in out
    assert "nếu bắt đầu ngày 01/03/2026" in out
    assert "  • Thứ Năm, 03/09/2026 — 6 tháng (từ 01/03/2026)" in out.splitlines()


def test_recurring_rule_shows_last_past_and_next(today_2026: str) -> None:
    code, out = explain("trước ngày 25 hằng tháng", "--count", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == 'Quy tắc: {"kind": "monthly_day", "day": 25, "mode": "before", ' \
                       '"shift": "previous"}'
    assert lines[2:5] == ["  • Thứ Ba, 24/02/2026 — tháng 2/2026 (đã qua)",
                          "  • Thứ Ba, 24/03/2026 — tháng 3/2026",
                          "  • Thứ Sáu, 24/04/2026 — tháng 4/2026"]


def test_unconfirmed_year_is_flagged(today_2026: str) -> None:
    config_service.load(CONFIG)  # 2026 is confirmed there, 2027 is not
    code, out = explain("trong tháng 3/2027")
    assert code == 0
    assert "Lịch nghỉ năm 2027 chưa được xác nhận: hạn có thể thay đổi." in out
    code, out = explain("trước ngày 20/11/2026")
    assert code == 0 and "chưa được xác nhận" not in out


def test_count_must_be_positive(no_database: None) -> None:
    code, out = explain("hằng tháng", "--count", "0")
    assert code == 1 and "--count" in out
