"""On the shipped config: windows due on their last working day, plans bounded to their years."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from danvan_workflow.core.validity import PlanValidity
from danvan_workflow.db.models import Deadline, Obligation, Plan, Unit
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config, status
from danvan_workflow.services.calendar import calendar_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shipped config loaded once (materialised up to the end of 2027)."""
    from danvan_workflow.db.migrate import upgrade
    from danvan_workflow.settings import reset_settings

    mp = pytest.MonkeyPatch()
    url = f"sqlite:///{tmp_path_factory.mktemp('shipped') / 'db.sqlite'}"
    mp.setenv("DANVAN_DATABASE_URL", url)
    mp.setenv("DANVAN_CONFIG_DIR", str(ROOT / "config"))
    reset_settings()
    upgrade(url)
    config.load(ROOT / "config")
    yield url
    mp.undo()
    reset_settings()


@pytest.fixture(autouse=True)
def _use_shipped(shipped: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from danvan_workflow.settings import reset_settings

    monkeypatch.setenv("DANVAN_DATABASE_URL", shipped)
    reset_settings()


def _rows() -> list[tuple[Deadline, Plan]]:
    with session_scope() as s:
        q = select(Deadline, Plan).join(Obligation, Deadline.obligation_id == Obligation.id) \
            .join(Plan, Obligation.plan_id == Plan.id)
        rows = [(d, p) for d, p in s.execute(q).all()]
        s.expunge_all()
        return rows


def test_no_deadline_in_2027_on_a_day_off() -> None:
    with session_scope() as s:
        cal = calendar_for(s)
    due_2027 = [d.due_on for d, _ in _rows() if d.due_on and d.due_on.year == 2027]
    assert due_2027, "the shipped config has duties in 2027"
    assert [d for d in due_2027 if not cal.is_working_day(d)] == []


def test_every_window_is_due_on_its_last_working_day() -> None:
    with session_scope() as s:
        cal = calendar_for(s)
    windows = [d for d, _ in _rows() if d.window_end is not None]
    assert len(windows) > 50
    for d in windows:
        assert d.period_start is not None
        assert d.due_on == cal.previous_working_day(d.window_end, inclusive=True), d.period_label
        assert d.period_start <= d.due_on <= d.window_end
    q4 = [d for d in windows if d.period_label == "quý IV/2026"]
    assert q4 and {d.due_on for d in q4} == {dt.date(2026, 12, 31)}
    q1 = [d for d in windows if d.period_label == "quý I/2027"]
    assert q1 and {d.due_on for d in q1} == {dt.date(2027, 3, 31)}


def test_tn_duk_quarter_iv_2026_is_not_overdue_on_3_december() -> None:
    with session_scope() as s:
        st = status.unit_status(s, "TN.DUK", TODAY)
    overdue = {d.period_label for d in st.overdue}
    assert "quý IV/2026" not in overdue
    assert "quý III/2026" in overdue


def test_26_kh_bcd_has_no_deadline_before_its_issue() -> None:
    rows = [(d, p) for d, p in _rows() if p.code == "26-KH/BCĐ"]
    assert rows
    issued = dt.date(2023, 2, 24)
    for d, _ in rows:
        closing = d.period_end or d.due_on
        assert closing is None or closing >= issued, (d.period_label, closing)
    labels = {d.period_label for d, _ in rows}
    assert "tháng 3/2023" in labels
    assert "tháng 1/2023" not in labels and "tháng 2/2023" not in labels


def test_overdue_dashboard_has_no_one_year_plan_after_its_year() -> None:
    from danvan_workflow import dashboards

    one_year = {"26-KH/BCĐ": 2023, "294/KH-VP": 2024, "KH-UBND-CL-2024": 2024,
                "KH-TU-DP-KL1231": 2022}
    with session_scope() as s:
        table = dashboards.overdue(s, TODAY)
    assert table.rows
    for row in table.rows:
        plan = row["Kế hoạch"]
        if plan in one_year:
            year = int(row["Hạn"][-4:])
            assert year <= one_year[plan] + 1, row  # a December period may be due in January


def test_overdue_list_has_no_duty_of_a_one_year_plan_after_its_year() -> None:
    for d, p in _rows():
        v = PlanValidity.of(year=p.year, issued_on=p.issued_on, valid_from=p.valid_from,
                            valid_until=p.valid_until, recurs=p.recurs)
        if v.end is None or d.status != "open":
            continue
        closing = d.period_end or d.due_on
        assert closing is None or closing.year <= v.end.year, (p.code, d.period_label)


def test_tay_ninh_recurs_into_2027() -> None:
    labels = {d.period_label for d, p in _rows() if p.code == "19-KH/BCĐ"}
    assert "quý I/2027" in labels


def test_unit_lookup_is_shipped() -> None:
    with session_scope() as s:
        assert s.scalar(select(Unit.id).where(Unit.code == "TN.DUK")) is not None


def test_scorecard_populations_are_the_plans_own() -> None:
    from danvan_workflow.services import scores

    with session_scope() as s:
        bdv = scores.aggregate(s, "19-KH/BCĐ", 2026, "TN.BDV")
        snv = scores.aggregate(s, "19-KH/BCĐ", 2026, "TN.SNV")
    districts = {"TN.HU.TAY_NINH", "TN.HU.HOA_THANH", "TN.HU.TRANG_BANG", "TN.HU.TAN_BIEN",
                 "TN.HU.TAN_CHAU", "TN.HU.DUONG_MINH_CHAU", "TN.HU.CHAU_THANH",
                 "TN.HU.GO_DAU", "TN.HU.BEN_CAU"}
    assert {c for c, _ in bdv.not_scored} == districts | {"TN.DUK", "TN.DUCA", "TN.DUQS",
                                                          "TN.DUBP"}
    assert bdv.assumed == []
    snv_units = {c for c, _ in snv.not_scored}
    assert "TN.SNV" not in snv_units and "TN.TT.TU" not in snv_units
    assert {"TN.STC", "TN.SGDDT", "TN.SYT", "TN.STNMT"} <= snv_units
    assert set(snv.assumed) == {"TN.STC", "TN.SGDDT", "TN.SYT", "TN.STNMT"}
    assert {c for c in snv_units if c.startswith("TN.UBND.")} == {
        d.replace("TN.HU.", "TN.UBND.") for d in districts}


@pytest.mark.parametrize(("call", "args"), [
    ("models_dvk.quota_report", ("26-KH/BCĐ", 2027)),
    ("targets.target_status", ("294/KH-VP", 2027)),
    ("scores.rank", ("26-KH/BCĐ", 2027)),
])
def test_plan_answers_only_for_its_years(call: str, args: tuple[str, int]) -> None:
    import importlib

    from danvan_workflow.errors import UserError

    mod, fn = call.split(".")
    func = getattr(importlib.import_module(f"danvan_workflow.services.{mod}"), fn)
    with session_scope() as s, pytest.raises(UserError) as err:
        func(s, *args)
    assert err.value.field == "year"
    assert "năm 2027 không thuộc thời gian áp dụng" in str(err.value)


def test_open_ended_rule_in_a_one_year_plan_is_warned_with_file_and_line(
        tmp_path: Path) -> None:
    import shutil

    from danvan_workflow.configuration.loader import load_config

    cfg = tmp_path / "config"
    shutil.copytree(ROOT / "config", cfg)
    plan = cfg / "plans" / "duc-pho-kl1231.yaml"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("  valid_until: 2022-12-31\n", "", 1), encoding="utf-8")
    assert load_config(ROOT / "config").warnings == []
    warnings = load_config(cfg).warnings
    assert warnings
    first = warnings[0]
    assert "plans/duc-pho-kl1231.yaml:23:" in first  # the line of the task
    assert "chỉ áp dụng đến 31/12/2022" in first


def test_a_window_is_listed_and_exported_as_its_whole_span() -> None:
    from icalendar import Calendar

    from danvan_workflow.adapters.exporters.ics import to_ics
    from danvan_workflow.services.queries import list_deadlines

    with session_scope() as s:
        items = [d for d in list_deadlines(s, unit="TN.DUK", start=dt.date(2026, 12, 1),
                                           end=dt.date(2026, 12, 31))
                 if d.period_label == "quý IV/2026"]
    assert len(items) == 1
    q4 = items[0]
    assert q4.as_json()["window_start"] == "2026-10-01"
    assert q4.as_json()["due_on"] == "2026-12-31"
    assert q4.due_text() == "Thứ Năm, 31/12/2026 (thực hiện trong 01/10/2026–31/12/2026)"
    events = [e for e in Calendar.from_ical(to_ics(items)).walk("VEVENT")]
    assert events[0].decoded("dtstart") == dt.date(2026, 10, 1)
    assert events[0].decoded("dtend") == dt.date(2027, 1, 1)
    assert str(events[0]["summary"]).startswith("Thực hiện: ")
