"""A unit's calendar feed: it parses, holds only what is still due, follows submissions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select
from typer.testing import CliRunner

from danvan_workflow.adapters.webhooks_app import create_app
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config, reports
from tests.fakes.asgi_server import serve_asgi

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


FEED_SECRET = "bi-mat-lich-3f9a71c2d4"


@pytest.fixture
def feed_server(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The engine's HTTP service (the webhook receiver app) on 127.0.0.1, served by uvicorn."""
    monkeypatch.setenv("DANVAN_FEED_SECRET", FEED_SECRET)
    config.load(CONFIG)
    with serve_asgi(create_app()) as base:
        monkeypatch.setenv("DANVAN_HTTP_PUBLIC_URL", base)
        yield base


def test_subscribed_address_serves_the_unit_feed_and_nothing_else(feed_server: str) -> None:
    from danvan_workflow.cli.main import app

    res = CliRunner().invoke(app, ["deadlines", "feed", "--unit", UNIT, "--url"])
    assert res.exit_code == 0, res.output
    address = res.output.strip()
    assert address.startswith(f"{feed_server}/lich/{UNIT}.ics?token=")
    assert FEED_SECRET not in address
    got = httpx.get(address, timeout=10)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(got.content).walk("VEVENT")
    ids = {int(str(e["uid"]).split("-")[1].split("@")[0]) for e in events}
    with session_scope() as s:
        expected = set(s.execute(select(m.Deadline.id).join(m.Unit, m.Unit.id == m.Deadline.unit_id)
                                 .where(m.Unit.code == UNIT, m.Deadline.due_on.is_not(None),
                                        m.Deadline.status.in_(("open", "extended")))).scalars())
    assert ids == expected and ids
    with session_scope() as s:
        reports.submit(s, deadline_id=min(ids), received_on=dt.date(2026, 12, 1),
                       document_number=None, recorded_by="kiểm thử", today=dt.date(2026, 12, 3))
    again = httpx.get(address, timeout=10)
    assert again.status_code == 200 and again.content != got.content
    token = address.split("token=")[1]
    for wrong in (address[:-2] + "xx", f"{feed_server}/lich/DP.BDV.ics?token={token}",
                  f"{feed_server}/lich/KHONG.CO.ics?token={token}", address.split("?")[0]):
        refused = httpx.get(wrong, timeout=10)
        assert refused.status_code == 404 and b"VCALENDAR" not in refused.content, wrong


def test_feed_is_off_without_its_secret(feed_server: str, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    from danvan_workflow.cli.main import app
    from danvan_workflow.core.feed_tokens import feed_token

    monkeypatch.delenv("DANVAN_FEED_SECRET")
    res = CliRunner().invoke(app, ["deadlines", "feed", "--unit", UNIT, "--url"])
    assert res.exit_code != 0 and "DANVAN_FEED_SECRET" in res.output
    got = httpx.get(f"{feed_server}/lich/{UNIT}.ics?token={feed_token('', UNIT)}", timeout=10)
    assert got.status_code == 404
