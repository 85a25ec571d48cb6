"""`danvan calendar check`, calendar years in the database, and the unconfirmed-year notes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from danvan_workflow import dashboards
from danvan_workflow.cli.main import app
from danvan_workflow.configuration.loader import load_config
from danvan_workflow.db.models import CalendarYear
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import ConfigErrors
from danvan_workflow.services import config as config_service
from danvan_workflow.services.calendar import calendar_for
from tests.conftest import CONFIG

TODAY = dt.date(2026, 12, 3)
SMALL = Path(__file__).resolve().parent / "fixtures" / "small_config"
NOTE_2027 = ("Lịch nghỉ năm 2027 chưa được xác nhận: hạn có thể thay đổi khi Chính phủ "
             "công bố lịch nghỉ.")
YEAR_2027 = """\
year: 2027
confirmed: true
documents:
  - "Công văn 9999/VPCP-KGVX về nghỉ Tết Âm lịch và nghỉ lễ Quốc khánh năm 2027"
days_off: []
working_days: []
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("danvan_workflow.timeutil.today", lambda: TODAY)
    monkeypatch.setattr("danvan_workflow.services.materialise.today", lambda: TODAY)
    monkeypatch.setattr("danvan_workflow.cli.main.today", lambda: TODAY)


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "config"
    shutil.copytree(src, dst)
    return dst


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output


def test_calendar_check_on_the_shipped_config(sqlite_url: str, tmp_path: Path) -> None:
    cfg = _copy(CONFIG, tmp_path)
    config_service.load(cfg)

    code, out = _run("calendar", "check", str(cfg))
    assert code == 1
    lines = out.splitlines()
    assert "Năm 2027: chưa xác nhận — chưa có tệp config/calendar/2027.yaml với confirmed: true" \
        in lines
    assert [ln for ln in lines if ln.startswith("Năm ")] == [lines[0]]  # 2026 is confirmed

    code, out = _run("deadlines", "list", "--from", "2027-01-01", "--to", "2027-06-30")
    assert code == 0 and f"(*) {NOTE_2027}" in out
    assert "2027*" in out
    code, out = _run("deadlines", "list", "--from", "2026-01-01", "--to", "2026-06-30")
    assert code == 0 and "chưa được xác nhận" not in out
    with session_scope() as s:
        assert dashboards.upcoming(s, TODAY, days=120).footer == NOTE_2027
        assert dashboards.upcoming(s, TODAY, days=120).describe().endswith(NOTE_2027)
        assert dashboards.overdue(s, TODAY).footer is None

    # The government announces 2027: the file is written but not loaded yet ...
    (cfg / "calendar" / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    code, out = _run("calendar", "check", str(cfg))
    assert code == 1
    assert "Năm 2027: chưa xác nhận — tệp config/calendar/2027.yaml đã ghi confirmed: true " \
           "nhưng chưa được nạp" in out

    # ... then loaded: nothing left to confirm.
    res = config_service.load(cfg)
    assert res.report.tables["calendar_years"].added == ["2027 (đã xác nhận)"]
    code, out = _run("calendar", "check", str(cfg))
    assert (code, out.strip()) == (0, "Lịch các năm đang dùng đều đã xác nhận.")
    code, out = _run("deadlines", "list", "--from", "2027-01-01", "--to", "2027-06-30")
    assert code == 0 and "chưa được xác nhận" not in out and "2027*" not in out
    with session_scope() as s:
        assert dashboards.upcoming(s, TODAY, days=120).footer is None


def test_calendar_check_file_not_confirmed(sqlite_url: str, tmp_path: Path) -> None:
    cfg = _copy(SMALL, tmp_path)
    (cfg / "calendar").mkdir()
    (cfg / "calendar" / "2027.yaml").write_text(
        YEAR_2027.replace("confirmed: true", "confirmed: false"), encoding="utf-8")
    config_service.load(cfg)
    code, out = _run("calendar", "check", str(cfg))
    assert code == 1
    lines = [ln for ln in out.splitlines() if ln.startswith("Năm ")]
    assert lines == [
        "Năm 2026: chưa xác nhận — chưa có tệp config/calendar/2026.yaml với confirmed: true",
        "Năm 2027: chưa xác nhận — tệp config/calendar/2027.yaml chưa ghi confirmed: true",
    ]


def test_calendar_check_without_database_is_a_user_error(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANVAN_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    from danvan_workflow.settings import reset_settings

    reset_settings()
    code, out = _run("calendar", "check", str(CONFIG))
    assert code == 1 and "Traceback" not in out
    assert "không đọc được cơ sở dữ liệu" in out


def test_calendar_years_follow_the_files(engine: Engine, tmp_path: Path) -> None:
    """One row per file, upserted; a file that disappears takes its row with it."""
    cfg = _copy(SMALL, tmp_path)
    (cfg / "calendar").mkdir()
    shutil.copy(CONFIG / "calendar" / "2026.yaml", cfg / "calendar" / "2026.yaml")
    (cfg / "calendar" / "2027.yaml").write_text(
        YEAR_2027.replace("confirmed: true", "confirmed: false"), encoding="utf-8")

    res = config_service.load(cfg, engine=engine)
    assert res.report.tables["calendar_years"].added == ["2026 (đã xác nhận)",
                                                         "2027 (chưa xác nhận)"]
    with session_scope(engine) as s:
        rows = {r.year: r for r in s.execute(select(CalendarYear)).scalars()}
        assert rows[2026].confirmed and not rows[2027].confirmed
        assert rows[2026].documents[0].startswith("Công văn 12729/VPCP-KGVX")
        assert rows[2026].source_file == "config/calendar/2026.yaml"
        cal = calendar_for(s)
        assert cal.is_confirmed(2026) and not cal.is_confirmed(2027)

    assert not config_service.load(cfg, engine=engine).report.any  # unchanged: no writes

    (cfg / "calendar" / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    (cfg / "calendar" / "2026.yaml").unlink()
    res = config_service.load(cfg, engine=engine)
    years = res.report.tables["calendar_years"]
    assert years.changed == ["2027 (đã xác nhận)"]
    assert years.removed == ["2026 (đã xác nhận)"]
    with session_scope(engine) as s:
        assert s.execute(select(CalendarYear.year)).scalars().all() == [2027]
        cal = calendar_for(s)
        assert cal.is_confirmed(2027) and not cal.is_confirmed(2026)


def test_confirmed_year_needs_its_documents_and_one_file(tmp_path: Path) -> None:
    cfg = _copy(SMALL, tmp_path)
    (cfg / "calendar").mkdir()
    (cfg / "calendar" / "2027.yaml").write_text("year: 2027\nconfirmed: true\n",
                                                encoding="utf-8")
    with pytest.raises(ConfigErrors) as exc:
        load_config(cfg)
    assert [p.render() for p in exc.value.problems] == [
        "config/calendar/2027.yaml:2: lịch nghỉ năm 2027 đã xác nhận thì phải ghi văn bản "
        "công bố trong 'documents'"]

    (cfg / "calendar" / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    (cfg / "calendar" / "2027-bis.yaml").write_text(YEAR_2027, encoding="utf-8")
    with pytest.raises(ConfigErrors) as exc:
        load_config(cfg)
    assert [p.render() for p in exc.value.problems] == [
        "config/calendar/2027.yaml:1: năm 2027 đã được khai báo trong "
        "config/calendar/2027-bis.yaml"]
