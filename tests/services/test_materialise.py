"""Materialisation: idempotent, recomputes open future deadlines, audits every move."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.cli.main import app
from danvan_workflow.db import models as m
from danvan_workflow.services import config as config_service
from danvan_workflow.services.materialise import materialise
from tests.conftest import CONFIG


def deadline_rows(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as s:
        return [tuple(r) for r in s.execute(
            select(m.Deadline.obligation_id, m.Deadline.unit_id, m.Deadline.period_key,
                   m.Deadline.due_on, m.Deadline.status).order_by(m.Deadline.id)).all()]


def test_materialising_twice_gives_the_same_rows(engine: Engine) -> None:
    config_service.load(CONFIG, engine=engine)
    first = deadline_rows(engine)
    with Session(engine) as s, s.begin():
        res = materialise(s)
    assert res.inserted == 0 and res.moved == 0
    assert deadline_rows(engine) == first
    keys = [(o, u, p) for o, u, p, _, _ in first]
    assert len(keys) == len(set(keys))


def test_tay_ninh_scoring_bodies_due_before_20_11(engine: Engine) -> None:
    config_service.load(CONFIG, engine=engine)
    with Session(engine) as s:
        rows = s.execute(
            select(m.Unit.code, m.Deadline.due_on).join(m.Deadline.unit)
            .join(m.Deadline.obligation).join(m.Obligation.plan)
            .where(m.Plan.code == "19-KH/BCĐ", m.Unit.code.in_(["TN.SNV", "TN.LDLD"]),
                   m.Deadline.due_on.between(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))
        ).all()
    assert {(c, d) for c, d in rows} >= {("TN.SNV", dt.date(2026, 11, 19)),
                                          ("TN.LDLD", dt.date(2026, 11, 19))}


def test_calendar_override_moves_open_future_deadlines_and_audits(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    # pretend today is early 2026 so that 19/11/2026 is in the future
    monkeypatch.setattr("danvan_workflow.services.materialise.today", lambda: dt.date(2026, 3, 1))
    config_service.load(cfg, engine=engine)
    with Session(engine) as s:
        ids = s.execute(select(m.Deadline.id).where(
            m.Deadline.due_on == dt.date(2026, 11, 19))).scalars().all()
        assert ids
        # one of them is already submitted: it must not move
        s.add(m.Submission(deadline_id=ids[0], received_on=dt.date(2026, 3, 1),
                           recorded_by="t", on_time=True))
        s.get(m.Deadline, ids[0]).status = "submitted_on_time"  # type: ignore[union-attr]
        s.commit()
    (cfg / "calendar" / "2026.yaml").write_text(
        (cfg / "calendar" / "2026.yaml").read_text(encoding="utf-8")
        + "  # added by the test\n", encoding="utf-8")
    text = (cfg / "calendar" / "2026.yaml").read_text(encoding="utf-8")
    text = text.replace("days_off:\n", "days_off:\n  - date: 2026-11-19\n"
                        "    name: Nghỉ thử nghiệm\n    document: Công văn thử 1/TEST\n", 1)
    (cfg / "calendar" / "2026.yaml").write_text(text, encoding="utf-8")
    res = config_service.load(cfg, engine=engine)
    assert res.materialised is not None and res.materialised.moved == len(ids) - 1
    with Session(engine) as s:
        moved = s.execute(select(m.Deadline.due_on).where(m.Deadline.id.in_(ids[1:]))
                          ).scalars().all()
        assert set(moved) == {dt.date(2026, 11, 18)}
        assert s.get(m.Deadline, ids[0]).due_on == dt.date(2026, 11, 19)  # type: ignore[union-attr]
        audits = s.execute(select(m.AuditEntry).where(m.AuditEntry.action == "deadline.moved")
                           ).scalars().all()
        assert {a.entity_id for a in audits} == {str(i) for i in ids[1:]}
        assert all(a.before == {"due_on": "2026-11-19"} and a.after == {"due_on": "2026-11-18"}
                   for a in audits)


def test_deadlines_list_for_plan_26(sqlite_url: str) -> None:
    config_service.load(CONFIG)
    out = CliRunner().invoke(app, ["deadlines", "list", "--from", "2023-01-01", "--to",
                                   "2023-12-31", "--plan", "26-KH/BCĐ", "--format", "json"])
    assert out.exit_code == 0, out.output
    items = json.loads(out.stdout)["deadlines"]
    by_code = {(d["obligation_code"], d["due_on"]) for d in items}
    assert ("dvk-2023-mid-year-inspection", "2023-07-25") in by_code
    assert ("dvk-2023-year-end-inspection", "2023-12-15") in by_code
    assert ("dvk-2023-recognition", "2023-12-29") in by_code
    table = CliRunner().invoke(app, ["deadlines", "list", "--from", "2023-07-01", "--to",
                                     "2023-07-31", "--plan", "26-KH/BCĐ"])
    assert "25/07/2023" in table.stdout and "Thứ Ba" in table.stdout


def test_ics_export_parses_and_validates(sqlite_url: str, tmp_path: Path) -> None:
    config_service.load(CONFIG)
    out_file = tmp_path / "han.ics"
    out = CliRunner().invoke(app, ["deadlines", "list", "--from", "2026-01-01", "--to",
                                   "2026-12-31", "--format", "ics", "-o", str(out_file)])
    assert out.exit_code == 0, out.output
    cal = Calendar.from_ical(out_file.read_bytes())
    assert cal.errors == []
    events = cal.walk("VEVENT")
    assert len(events) > 50
    for ev in events:
        assert ev.errors == []
        assert isinstance(ev.decoded("dtstart"), dt.date)
        assert not isinstance(ev.decoded("dtstart"), dt.datetime)
        assert "Nơi nhận:" in str(ev.get("description"))
        assert ev.get("uid")
    summaries = " ".join(str(e.get("summary")) for e in events)
    assert "Hạn:" in summaries


def test_unknown_plan_in_list_is_a_clear_error(sqlite_url: str) -> None:
    config_service.load(CONFIG)
    out = CliRunner().invoke(app, ["deadlines", "list", "--plan", "99-KH/XX"])
    assert out.exit_code == 1
    assert "không có kế hoạch số '99-KH/XX'" in out.output
    out = CliRunner().invoke(app, ["deadlines", "list", "--from", "31/02/2026"])
    assert out.exit_code == 1 and "--from" in out.output
