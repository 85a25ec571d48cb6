"""A unit's calendar feed: it parses, holds only what is still due, follows submissions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select
from typer.testing import CliRunner

from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config, reports

CONFIG = Path(__file__).resolve().parents[2] / "config"
UNIT = "TN.BDV"


def _feed(tmp_path: Path, name: str) -> tuple[bytes, set[int]]:
    from danvan_workflow.cli.main import app

    out = tmp_path / name
    res = CliRunner().invoke(app, ["deadlines", "feed", "--unit", UNIT, "-o", str(out)])
    assert res.exit_code == 0, res.output
    cal = Calendar.from_ical(out.read_bytes())
    events = cal.walk("VEVENT")
    assert all(str(e["uid"]).startswith("deadline-") for e in events)
    return out.read_bytes(), {int(str(e["uid"]).split("-")[1].split("@")[0]) for e in events}


def test_unit_feed_holds_open_deadlines_and_changes_after_a_submission(
        sqlite_url: str, tmp_path: Path) -> None:
    config.load(CONFIG)
    first, ids = _feed(tmp_path, "1.ics")
    D, U = m.Deadline, m.Unit
    with session_scope() as s:
        rows = s.execute(select(D.id, D.status, D.due_on).join(U, U.id == D.unit_id)
                         .where(U.code == UNIT)).tuples().all()
    expected = {i for i, status, due in rows if status in ("open", "extended") and due}
    assert ids == expected and ids
    assert {i for i, status, _ in rows if status not in ("open", "extended")}.isdisjoint(ids)
    assert any(due and due >= dt.date(2026, 12, 3) for i, _, due in rows if i in ids)
    # a report received: its deadline leaves the feed
    target = min(ids)
    with session_scope() as s:
        reports.submit(s, deadline_id=target, received_on=dt.date(2026, 12, 1),
                       document_number=None, recorded_by="kiểm thử",
                       today=dt.date(2026, 12, 3))
    second, after = _feed(tmp_path, "2.ics")
    assert after == ids - {target} and second != first
    assert "Hạn".encode() in second


def test_unknown_unit_is_named(sqlite_url: str) -> None:
    from danvan_workflow.cli.main import app

    config.load(CONFIG)
    res = CliRunner().invoke(app, ["deadlines", "feed", "--unit", "KHONG.CO"])
    assert res.exit_code != 0 and "KHONG.CO" in res.output and "Traceback" not in res.output
